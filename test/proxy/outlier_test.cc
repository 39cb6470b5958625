// Outlier detection end to end: ejected endpoints get no traffic until their time is up.
#include <doctest/doctest.h>

#include "test/proxy/cluster_fixture.h"

using namespace mesh;
using namespace mesh::test;

namespace {

ClusterSetup detecting(std::function<void(model::OutlierDetection&)> set, size_t upstreams = 2) {
  ClusterSetup s;
  s.upstreams = upstreams;
  s.cluster = [set](pc::Cluster& c) {
    c.outlier_detection.emplace();
    c.outlier_detection->max_ejection_percent = 100;
    set(*c.outlier_detection);
  };
  return s;
}

std::string flags_of(const std::string& clusters, uint16_t port) {
  std::string key = "svc::127.0.0.1:" + std::to_string(port) + "::health_flags::";
  size_t at = clusters.find(key);
  if (at == std::string::npos) return "";
  return clusters.substr(at + key.size(), clusters.find('\n', at) - at - key.size());
}

}  // namespace

TEST_CASE("consecutive5xxErrors ejects the failing endpoint; the others take every request") {
  ClusterFixture f(detecting([](auto& o) {
    o.consecutive_5xx_errors = 2;
    o.base_ejection_time = std::chrono::seconds(30);
  }));
  f.ups[0]->status = 500;
  for (int i = 0; i < 4; ++i) request(f.port(), get("/warm"));  // round robin: two 500s from ups[0]
  CHECK(f.ups[0]->served() == 2);
  for (int i = 0; i < 10; ++i) CHECK(request(f.port(), get("/after")).status == 200);
  CHECK(f.ups[0]->served() == 2);
  std::string clusters = f.clusters();
  CHECK(flags_of(clusters, f.ups[0]->port()) == "/failed_outlier_check");
  CHECK(flags_of(clusters, f.ups[1]->port()) == "healthy");
  CHECK(clusters.find("svc::127.0.0.1:" + std::to_string(f.ups[0]->port()) + "::rq_error::2") !=
        std::string::npos);
}

TEST_CASE("consecutiveGatewayErrors counts 502/503/504 only") {
  ClusterFixture f(detecting([](auto& o) {
    o.consecutive_5xx_errors = 0;
    o.consecutive_gateway_errors = 2;
  }));
  f.ups[0]->status = 500;  // not a gateway error: never ejected
  for (int i = 0; i < 8; ++i) request(f.port(), get("/g"));
  CHECK(f.ups[0]->served() == 4);
  f.ups[0]->status = 502;
  for (int i = 0; i < 4; ++i) request(f.port(), get("/g"));
  size_t at_ejection = f.ups[0]->served();
  for (int i = 0; i < 6; ++i) CHECK(request(f.port(), get("/g")).status == 200);
  CHECK(f.ups[0]->served() == at_ejection);
}

TEST_CASE("an ejected endpoint returns after baseEjectionTime, and stays out longer the second time") {
  ClusterFixture f(detecting([](auto& o) {
    o.consecutive_5xx_errors = 1;
    o.interval = ms(50);
    o.base_ejection_time = ms(1000);
  }));
  f.ups[0]->status = 503;
  using Clock = std::chrono::steady_clock;
  // Probes until ups[0] answers again; that answer (a 503) ejects it once more.
  auto back_after = [&](Clock::time_point ejected) {
    size_t before = f.ups[0]->served();
    bool back = eventually([&] {
      request(f.port(), get("/probe"));
      return f.ups[0]->served() > before;
    });
    REQUIRE(back);
    return std::make_pair(Clock::now() - ejected, Clock::now());
  };
  [[maybe_unused]] auto [unused, first_ejection] = back_after(Clock::now());  // the first 503 ejects it
  auto [first, second_ejection] = back_after(first_ejection);
  // Measured from after the client saw the ejecting response: a little short of the real time.
  CHECK(first >= std::chrono::milliseconds(700));
  [[maybe_unused]] auto [second, third_ejection] = back_after(second_ejection);
  CHECK(second >= std::chrono::milliseconds(1700));  // 2 x baseEjectionTime
  CHECK(f.clusters().find("::num_ejections::3") != std::string::npos);
}

TEST_CASE("maxEjectionPercent caps ejections; below minHealthPercent every endpoint is used") {
  ClusterFixture f(detecting([](auto& o) {
    o.consecutive_5xx_errors = 1;
    o.max_ejection_percent = 50;
  }));
  f.ups[0]->status = 503;
  f.ups[1]->status = 503;
  for (int i = 0; i < 10; ++i) request(f.port(), get("/m"));
  std::string clusters = f.clusters();
  int ejected = 0;
  for (auto& u : f.ups) ejected += flags_of(clusters, u->port()) == "/failed_outlier_check";
  CHECK(ejected == 1);

  ClusterFixture g(detecting([](auto& o) {
    o.consecutive_5xx_errors = 1;
    o.min_health_percent = 60;
  }));
  g.ups[0]->status = 503;
  for (int i = 0; i < 10; ++i) request(g.port(), get("/p"));
  CHECK(g.ups[0]->served() >= 4);  // panic: 1 of 2 healthy is under 60%, so ejection is off
}

TEST_CASE("a config push keeps the ejections of endpoints it keeps") {
  ClusterFixture f(detecting([](auto& o) {
    o.consecutive_5xx_errors = 1;
    o.base_ejection_time = std::chrono::seconds(30);
  }));
  f.ups[0]->status = 503;
  for (int i = 0; i < 4; ++i) request(f.port(), get("/eject"));
  REQUIRE(f.ups[0]->served() == 1);
  // The new config adds an endpoint: once it serves, the new config is in use.
  TestUpstream added;
  f.reconfigure([&](pc::ProxyConfig& c) {
    pc::Endpoint e;
    e.address = "127.0.0.1";
    e.port = added.port();
    c.clusters.front().endpoints.push_back(e);
    c.clusters.front().outlier_detection->interval = std::chrono::seconds(20);  // a changed setting too
  });
  REQUIRE(eventually([&] {
    request(f.port(), get("/after"));
    return added.served() > 0;
  }));
  for (int i = 0; i < 9; ++i) CHECK(request(f.port(), get("/after")).status == 200);
  CHECK(f.ups[0]->served() == 1);  // still ejected
  CHECK(flags_of(f.clusters(), f.ups[0]->port()) == "/failed_outlier_check");
}
