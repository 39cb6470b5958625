// connectionPool limits end to end: queueing, overflow (503 UO), connection reuse limits, idle timeout.
#include <doctest/doctest.h>

#include "test/proxy/cluster_fixture.h"

using namespace mesh;
using namespace mesh::test;

namespace {

constexpr const char* kOverflow = "upstream connect error or disconnect/reset before headers. reset reason: overflow";

ClusterSetup limited(std::function<void(model::ConnectionPoolSettings&)> set) {
  ClusterSetup s;
  s.upstreams = 1;
  s.cluster = [set](pc::Cluster& c) {
    c.connection_pool.emplace();
    set(*c.connection_pool);
  };
  return s;
}

}  // namespace

TEST_CASE("maxConnections 1 with one pending request: the third concurrent request overflows with UO") {
  ClusterFixture f(limited([](auto& cp) {
    cp.tcp.max_connections = 1;
    cp.http.http1_max_pending_requests = 1;
  }));
  Client a(f.port()), b(f.port()), c(f.port());
  a.send(get("/delay/1500"));  // long enough to stay active under a slow sanitizer build
  REQUIRE(eventually([&] { return f.ups[0]->connections() == 1; }));
  b.send(get("/queued"));
  REQUIRE(eventually([&] { return f.counter("upstream_rq_pending_total") == 1; }));
  c.send(get("/overflow"));
  Response rc = c.read();
  CHECK(rc.status == 503);
  CHECK(rc.body == kOverflow);
  Response ra = a.read(), rb = b.read();
  CHECK(ra.status == 200);
  CHECK(rb.status == 200);
  CHECK(rb.body == "/queued");  // served once the first request gave its connection back
  CHECK(f.ups[0]->connections() == 1);
  CHECK(f.ups[0]->served() == 2);
  CHECK(f.counter("upstream_rq_pending_overflow") == 1);
  CHECK(f.counter("flag_UO") == 1);
}

TEST_CASE("a queued request keeps its body and gets it delivered once connected") {
  ClusterFixture f(limited([](auto& cp) { cp.tcp.max_connections = 1; }));
  Client a(f.port()), b(f.port());
  a.send(get("/delay/300"));
  REQUIRE(eventually([&] { return f.ups[0]->connections() == 1; }));
  b.send("POST /echo HTTP/1.1\r\nHost: known.example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  Response rb = b.read();
  CHECK(rb.status == 200);
  CHECK(rb.body == "hello");
  CHECK(a.read().status == 200);
  CHECK(f.ups[0]->connections() == 1);
}

TEST_CASE("http2MaxRequests bounds active requests: overflow is 503 UO at once") {
  ClusterFixture f(limited([](auto& cp) { cp.http.http2_max_requests = 1; }));
  Client a(f.port()), b(f.port());
  a.send(get("/delay/1500"));
  REQUIRE(eventually([&] { return f.ups[0]->connections() == 1; }));
  b.send(get("/second"));
  Response rb = b.read();
  CHECK(rb.status == 503);
  CHECK(rb.body == kOverflow);
  CHECK(a.read().status == 200);
}

TEST_CASE("maxRequestsPerConnection 1: every request gets a new upstream connection") {
  ClusterFixture f(limited([](auto& cp) { cp.http.max_requests_per_connection = 1; }));
  Client c(f.port());
  for (int i = 0; i < 3; ++i) {
    c.send(get("/n" + std::to_string(i)));
    CHECK(c.read().status == 200);
  }
  CHECK(f.ups[0]->connections() == 3);

  ClusterFixture g(limited([](auto& cp) { cp.http.max_requests_per_connection = 2; }));
  Client d(g.port());
  for (int i = 0; i < 4; ++i) {
    d.send(get("/n" + std::to_string(i)));
    CHECK(d.read().status == 200);
  }
  CHECK(g.ups[0]->connections() == 2);
}

TEST_CASE("http.idleTimeout closes an idle upstream connection; tcp.connectTimeout is used") {
  ClusterFixture f(limited([](auto& cp) {
    cp.http.idle_timeout = ms(100);
    cp.tcp.connect_timeout = ms(2000);
  }));
  CHECK(request(f.port(), get("/idle")).status == 200);
  CHECK(eventually([&] { return f.clusters().find("::cx_active::0") != std::string::npos; }));
  CHECK(f.clusters().find("::cx_total::1") != std::string::npos);
  CHECK(request(f.port(), get("/again")).status == 200);
  CHECK(f.ups[0]->connections() == 2);
}
