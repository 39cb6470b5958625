// Load-balancing policies end to end: which upstream each request reached.
#include <doctest/doctest.h>

#include <set>

#include "test/proxy/cluster_fixture.h"

using namespace mesh;
using namespace mesh::test;
using Simple = model::LoadBalancerSettings::Simple;
using Key = model::ConsistentHashLB::Key;

namespace {

// Index of the one upstream whose served count grew, or -1.
int served_by(ClusterFixture& f, const std::vector<size_t>& before) {
  std::vector<size_t> after = f.served();
  int who = -1;
  for (size_t i = 0; i < after.size(); ++i) {
    if (after[i] != before[i]) who = who == -1 ? static_cast<int>(i) : -2;
  }
  return who;
}

int send(ClusterFixture& f, const std::string& path, const std::string& extra = "") {
  auto before = f.served();
  Response r = request(f.port(), get(path, extra));
  if (r.status != 200) return -3;
  return served_by(f, before);
}

ClusterSetup hashing(model::ConsistentHashLB hash) {
  ClusterSetup s;
  s.upstreams = 3;
  s.cluster = [hash](pc::Cluster& c) { c.load_balancer.consistent_hash = hash; };
  return s;
}

}  // namespace

TEST_CASE("ROUND_ROBIN takes the endpoints in turn") {
  ClusterFixture f({3});
  for (int i = 0; i < 9; ++i) CHECK(request(f.port(), get("/rr")).status == 200);
  CHECK(f.served() == std::vector<size_t>{3, 3, 3});
}

TEST_CASE("LEAST_REQUEST (the default) and RANDOM use every endpoint, never an unhealthy one") {
  for (Simple simple : {Simple::kUnspecified, Simple::kLeastRequest, Simple::kRandom}) {
    ClusterSetup s;
    s.upstreams = 3;
    s.cluster = [simple](pc::Cluster& c) {
      c.load_balancer.simple = simple;
      c.endpoints.mutable_at(2).healthy = false;
    };
    ClusterFixture f(s);
    for (int i = 0; i < 60; ++i) REQUIRE(request(f.port(), get("/any")).status == 200);
    auto served = f.served();
    CHECK(served[0] > 0);
    CHECK(served[1] > 0);
    CHECK(served[2] == 0);
  }
}

TEST_CASE("consistent hash on a header keeps a key on one endpoint (ring hash and maglev)") {
  for (auto algorithm : {model::ConsistentHashLB::Algorithm::kRingHash, model::ConsistentHashLB::Algorithm::kMaglev}) {
    model::ConsistentHashLB hash;
    hash.key = Key::kHeader;
    hash.header_name = "X-User";
    hash.algorithm = algorithm;
    ClusterFixture f(hashing(hash));
    int alice = send(f, "/h", "x-user: alice\r\n");
    REQUIRE(alice >= 0);
    for (int i = 0; i < 8; ++i) CHECK(send(f, "/h", "X-User: alice\r\n") == alice);
    std::set<int> used;
    for (int i = 0; i < 24; ++i) used.insert(send(f, "/h", "x-user: user" + std::to_string(i) + "\r\n"));
    CHECK(used.count(-3) == 0);
    CHECK(used.size() >= 2);  // different keys spread
  }
}

TEST_CASE("consistent hash on a cookie: generated with Set-Cookie when ttl is set, then sticky") {
  model::ConsistentHashLB hash;
  hash.key = Key::kCookie;
  hash.cookie.name = "session";
  hash.cookie.path = "/";
  hash.cookie.ttl = std::chrono::seconds(60);
  ClusterFixture f(hashing(hash));
  Response first = request(f.port(), get("/c"));
  REQUIRE(first.status == 200);
  std::string set_cookie = first.headers["set-cookie"];
  CHECK(set_cookie.rfind("session=", 0) == 0);
  CHECK(set_cookie.find("Max-Age=60") != std::string::npos);
  CHECK(set_cookie.find("Path=/") != std::string::npos);
  std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  int who = send(f, "/c", "Cookie: other=1; " + cookie + "\r\n");
  REQUIRE(who >= 0);
  for (int i = 0; i < 8; ++i) CHECK(send(f, "/c", "Cookie: " + cookie + "\r\n") == who);
  Response again = request(f.port(), get("/c", "Cookie: " + cookie + "\r\n"));
  CHECK(again.headers.count("set-cookie") == 0);  // present cookie: none generated
}

TEST_CASE("consistent hash on the source IP and on a query parameter") {
  model::ConsistentHashLB by_ip;
  by_ip.key = Key::kSourceIp;
  ClusterFixture f(hashing(by_ip));
  int who = send(f, "/ip");
  REQUIRE(who >= 0);
  for (int i = 0; i < 8; ++i) CHECK(send(f, "/ip?n=" + std::to_string(i)) == who);

  model::ConsistentHashLB by_query;
  by_query.key = Key::kQueryParameter;
  by_query.query_parameter_name = "user";
  ClusterFixture q(hashing(by_query));
  int bob = send(q, "/q?user=bob&x=1");
  REQUIRE(bob >= 0);
  for (int i = 0; i < 8; ++i) CHECK(send(q, "/q?x=" + std::to_string(i) + "&user=bob") == bob);
  std::set<int> used;
  for (int i = 0; i < 24; ++i) used.insert(send(q, "/q?user=u" + std::to_string(i)));
  CHECK(used.size() >= 2);
}
