// Retries end to end: what the client receives and which upstreams saw the attempts.
#include <doctest/doctest.h>

#include "core/policy/retry.h"
#include "test/proxy/cluster_fixture.h"

using namespace mesh;
using namespace mesh::test;

namespace {

ClusterSetup retrying(uint32_t attempts, std::vector<std::string> on, size_t upstreams = 2) {
  ClusterSetup s;
  s.upstreams = upstreams;
  s.route = [attempts, on](pc::ForwardAction& f) {
    f.retry.attempts = attempts;
    f.retry.retry_on = on;
  };
  return s;
}

std::string post(const std::string& path, const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: known.example\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("a 503 is retried on the other endpoint; the client sees only the success") {
  ClusterFixture f(retrying(2, {"5xx"}));
  f.ups[0]->status = 503;
  for (int i = 0; i < 4; ++i) {  // round robin: some requests try the failing endpoint first
    size_t before = f.total();
    Response r = request(f.port(), get("/r" + std::to_string(i)));
    CHECK(r.status == 200);
    CHECK(r.body == "/r" + std::to_string(i));
    CHECK(f.total() - before <= 2);  // a retry never went back to the failing endpoint
  }
  CHECK(f.ups[0]->served() >= 1);
  CHECK(f.ups[1]->served() == 4);
  CHECK(f.counter("upstream_rq_retry") == f.ups[0]->served());
}

TEST_CASE("retries exhausted: the last response is passed on, flag URX") {
  ClusterFixture f(retrying(2, {"5xx"}));
  f.ups[0]->status = 503;
  f.ups[1]->status = 503;
  Response r = request(f.port(), get("/fail"));
  CHECK(r.status == 503);
  CHECK(r.body == "/fail");  // the upstream's own response
  CHECK(f.total() == 3);     // first try and two retries
  CHECK(f.counter("upstream_rq_retry") == 2);
  CHECK(f.counter("flag_URX") == 1);
}

TEST_CASE("retryOn decides: gateway-error, retriable-4xx, retriable-status-codes, and what is not retried") {
  struct Case {
    std::vector<std::string> on;
    std::vector<uint32_t> codes;
    int status;
    bool retried;
  };
  std::vector<Case> cases = {{{"gateway-error"}, {}, 502, true},         {{"gateway-error"}, {}, 500, false},
                             {{"retriable-4xx"}, {}, 409, true},         {{"retriable-4xx"}, {}, 404, false},
                             {{"retriable-status-codes"}, {418}, 418, true}, {{"retriable-status-codes"}, {418}, 503, false},
                             {{"5xx"}, {}, 500, true},                   {{"connect-failure"}, {}, 503, false}};
  for (const Case& c : cases) {
    ClusterSetup s = retrying(1, c.on, 1);
    auto codes = c.codes;
    auto base = s.route;
    s.route = [base, codes](pc::ForwardAction& f) {
      base(f);
      f.retry.retriable_status_codes = codes;
    };
    ClusterFixture f(s);
    f.ups[0]->status = c.status;
    Response r = request(f.port(), get("/on"));
    CHECK(r.status == c.status);
    CHECK(f.total() == (c.retried ? 2u : 1u));
  }
}

TEST_CASE("connect failures are retried on a live endpoint under Istio's default policy") {
  ClusterSetup s;
  s.upstreams = 1;
  s.extra_ports = {unused_port()};
  s.route = [](pc::ForwardAction& f) { f.retry = policy::istio_default_retry_policy(); };
  ClusterFixture f(s);
  for (int i = 0; i < 6; ++i) {
    Response r = request(f.port(), get("/cf"));
    CHECK(r.status == 200);
  }
  CHECK(f.total() == 6);
  CHECK(f.counter("upstream_rq_retry") >= 1);  // round robin hit the dead endpoint
  // Istio's default does not retry a plain 5xx.
  f.ups[0]->status = 500;
  Response r = request(f.port(), get("/cf"));
  CHECK(r.status == 500);
}

TEST_CASE("resets are retried with retryOn reset; exhausted gives the reset reply") {
  ClusterFixture f(retrying(2, {"reset"}, 1));
  Response r = request(f.port(), get("/reset"));
  CHECK(r.status == 503);
  CHECK(r.body.find("reset reason: connection termination") != std::string::npos);
  CHECK(f.total() == 3);
  CHECK(f.counter("flag_URX") == 1);
}

TEST_CASE("a request body is replayed on retry; a body over the buffer limit is not retried") {
  ClusterFixture f(retrying(2, {"5xx"}));
  f.ups[0]->status = 503;
  f.ups[1]->status = 503;
  f.ups[1]->status = 200;
  std::string body = "small body";
  for (int i = 0; i < 2; ++i) {
    Response r = request(f.port(), post("/echo-not", body));
    CHECK(r.status == 200);
  }
  auto seen = f.ups[1]->seen();
  REQUIRE(!seen.empty());
  for (const auto& s : seen) CHECK(s.body == body);
  size_t before = f.total();
  std::string big(200 * 1024, 'b');
  size_t ok = 0, failed = 0;
  for (int i = 0; i < 2; ++i) {
    Response r = request(f.port(), post("/big-body", big));
    (r.status == 200 ? ok : failed) += 1;
  }
  CHECK(f.total() - before == 2);  // one attempt each: the body could not be kept
  CHECK(ok == 1);
  CHECK(failed == 1);
}

TEST_CASE("perTryTimeout moves on to another endpoint; the route timeout bounds all attempts") {
  ClusterSetup s = retrying(3, {"5xx"});
  s.route = [](pc::ForwardAction& f) {
    f.retry.attempts = 3;
    f.retry.retry_on = {"5xx"};
    f.retry.per_try_timeout = ms(200);
  };
  ClusterFixture f(s);
  f.ups[0]->hang = true;
  for (int i = 0; i < 2; ++i) {
    Response r = request(f.port(), get("/pt"));
    CHECK(r.status == 200);
  }
  CHECK(f.counter("upstream_rq_per_try_timeout") >= 1);

  ClusterSetup t = s;
  t.route = [](pc::ForwardAction& f) {
    f.retry.attempts = 10;
    f.retry.retry_on = {"5xx"};
    f.retry.per_try_timeout = ms(150);
    f.timeout = ms(500);
  };
  ClusterFixture g(t);
  g.ups[0]->hang = true;
  g.ups[1]->hang = true;
  auto start = std::chrono::steady_clock::now();
  Response r = request(g.port(), get("/slow"), 10000);
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.status == 504);
  CHECK(r.body == "upstream request timeout");
  CHECK(took >= std::chrono::milliseconds(450));
  CHECK(took < std::chrono::milliseconds(5000));  // not 10 attempts x 150 ms each past the route timeout
  CHECK(g.total() >= 2);
  CHECK(g.total() <= 5);
}

TEST_CASE("maxRetries caps retries in flight: none allowed means none made") {
  ClusterSetup s = retrying(3, {"5xx"});
  s.cluster = [](pc::Cluster& c) {
    c.connection_pool.emplace();
    c.connection_pool->http.max_retries = 0;
  };
  ClusterFixture f(s);
  f.ups[0]->status = 503;
  f.ups[1]->status = 503;
  Response r = request(f.port(), get("/budget"));
  CHECK(r.status == 503);
  CHECK(f.total() == 1);
  CHECK(f.counter("upstream_rq_retry_overflow") == 1);
}
