// The forwarding path end to end: real sockets on loopback, a real upstream.
#include <doctest/doctest.h>

#include "test/proxy/proxy_fixture.h"

using namespace mesh::test;

TEST_CASE("keep-alive requests share one upstream connection; forwarding headers set") {
  ProxyFixture f;
  REQUIRE(f.started());
  Client c(f.port());
  c.send(get("/one", "Connection: keep-alive, x-secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\n"));
  Response r1 = c.read();
  REQUIRE(r1.ok);
  CHECK(r1.status == 200);
  CHECK(r1.body == "/one");
  CHECK(r1.headers["x-upstream"] == "yes");
  CHECK(r1.headers.count("x-envoy-upstream-service-time") == 1);
  c.send(get("/two", "X-Request-Id: my-id\r\nX-Forwarded-For: 10.0.0.1\r\n"));
  Response r2 = c.read();
  CHECK(r2.body == "/two");
  auto seen = f.upstream.seen();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].headers.count("x-secret") == 0);
  CHECK(seen[0].headers.count("keep-alive") == 0);
  CHECK(seen[0].headers.count("connection") == 0);
  CHECK(seen[0].headers["x-forwarded-for"] == "127.0.0.1");
  CHECK(seen[0].headers["x-forwarded-proto"] == "http");
  CHECK(seen[0].headers["x-request-id"].size() == 36);
  CHECK(seen[0].headers["host"] == "known.example");
  CHECK(seen[1].headers["x-request-id"] == "my-id");
  CHECK(seen[1].headers["x-forwarded-for"] == "10.0.0.1, 127.0.0.1");
  CHECK(f.upstream.connections() == 1);
}

TEST_CASE("pipelined requests are answered in order") {
  ProxyFixture f;
  Client c(f.port());
  c.send(get("/a") + get("/big/70000") + get("/c") + get("/chunked/30000"));
  CHECK(c.read().body == "/a");
  CHECK(c.read().body.size() == 70000);
  CHECK(c.read().body == "/c");
  Response last = c.read();
  CHECK(last.body == std::string(30000, 'c'));
  CHECK(last.headers["transfer-encoding"] == "chunked");
}

TEST_CASE("1 MiB bodies stream both ways, content-length and chunked") {
  ProxyFixture f;
  Client c(f.port());
  std::string body(1 << 20, 'x');
  for (size_t i = 0; i < body.size(); i += 997) body[i] = static_cast<char>('a' + i % 26);
  c.send("POST /echo HTTP/1.1\r\nHost: known.example\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body);
  Response r = c.read(10000);
  REQUIRE(r.ok);
  CHECK(r.body == body);
  std::string chunked;
  for (size_t off = 0; off < body.size(); off += 65536) {
    char hex[16];
    snprintf(hex, sizeof hex, "%x\r\n", 65536);
    chunked += hex + body.substr(off, 65536) + "\r\n";
  }
  c.send("POST /echo HTTP/1.1\r\nHost: known.example\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked +
         "0\r\n\r\n");
  r = c.read(10000);
  CHECK(r.body == body);
  c.send(get("/chunked/1048576"));
  r = c.read(10000);
  CHECK(r.body.size() == 1048576);
  auto seen = f.upstream.seen();
  REQUIRE(seen.size() == 3);
  CHECK(seen[1].headers["transfer-encoding"] == "chunked");
  CHECK(seen[1].body == body);
}

TEST_CASE("a slow reader does not make the proxy buffer the whole response") {
  ProxyFixture f;
  Client c(f.port());
  c.send(get("/big/33554432"));  // 32 MiB; the client reads nothing for a while
  std::string head = c.read_exact(10, 5000);
  CHECK(head == "HTTP/1.1 2");
  // The proxy stops reading the upstream once its queue to us is over the high mark:
  // the rest waits in kernel buffers, so the transfer completes only as we read.
  Response r = c.read(20000);
  CHECK(r.ok);
  CHECK(r.body.size() == 33554432 - 0);
}

TEST_CASE("Expect: 100-continue is answered by the proxy") {
  ProxyFixture f;
  Client c(f.port());
  c.send("POST /echo HTTP/1.1\r\nHost: known.example\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  Response interim = c.read();
  CHECK(interim.status == 100);
  c.send("hello");
  Response r = c.read();
  CHECK(r.status == 200);
  CHECK(r.body == "hello");
  auto seen = f.upstream.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].headers.count("expect") == 0);
}

TEST_CASE("HTTP/1.0 clients: close after the response, body until close when chunked upstream") {
  ProxyFixture f;
  Client c(f.port());
  c.send("GET /chunked/1000 HTTP/1.0\r\nHost: known.example\r\n\r\n");
  Response r = c.read();
  CHECK(r.status == 200);
  CHECK(r.headers.count("transfer-encoding") == 0);
  CHECK(r.body == std::string(1000, 'c'));
  Client k(f.port());
  k.send("GET /ka HTTP/1.0\r\nHost: known.example\r\nConnection: keep-alive\r\n\r\n");
  Response a = k.read();
  CHECK(a.body == "/ka");
  CHECK(a.headers["connection"] == "keep-alive");
  k.send("GET /again HTTP/1.0\r\nHost: known.example\r\n\r\n");
  CHECK(k.read().body == "/again");
  CHECK(k.closed());
}

TEST_CASE("Connection: close from the client or the upstream") {
  ProxyFixture f;
  Client c(f.port());
  c.send(get("/x", "Connection: close\r\n"));
  Response r = c.read();
  CHECK(r.headers["connection"] == "close");
  CHECK(c.closed());
  Client d(f.port());
  d.send(get("/close"));
  CHECK(d.read().body == "close");
  int before = f.upstream.connections();
  d.send(get("/after"));
  CHECK(d.read().body == "/after");  // the client connection stays; a new upstream one is made
  CHECK(f.upstream.connections() == before + 1);
}

TEST_CASE("HEAD responses carry no body") {
  ProxyFixture f;
  Client c(f.port());
  c.send("HEAD /big/100 HTTP/1.1\r\nHost: known.example\r\n\r\n");
  Response r = c.read(5000, true);
  CHECK(r.status == 200);
  CHECK(r.headers["content-length"] == "100");
  c.send(get("/next"));
  CHECK(c.read().body == "/next");
}

TEST_CASE("header-matched routing and direct responses") {
  ProxyFixture f;
  Response r = request(f.port(), get("/", "X-Route: direct\r\n"));
  CHECK(r.status == 200);
  CHECK(r.body == "direct");
  CHECK(f.upstream.seen().empty());
}

TEST_CASE("a new config is picked up between requests on a live connection") {
  ProxyFixture f;
  Client c(f.port());
  c.send(get("/before"));
  CHECK(c.read().body == "/before");
  auto cfg = default_config(f.upstream.port());
  cfg->route_tables.mutable_at(0).virtual_hosts[0].routes.insert(
      cfg->route_tables.mutable_at(0).virtual_hosts[0].routes.begin(), [] {
        mesh::pc::Route r;
        r.name = "all-direct";
        r.action = mesh::pc::DirectResponseAction{201, "new config"};
        return r;
      }());
  f.proxy().update_config(cfg);
  Response r;
  for (int i = 0; i < 100 && r.status != 201; ++i) {
    c.send(get("/after"));
    r = c.read();
  }
  CHECK(r.status == 201);
  CHECK(r.body == "new config");
}

TEST_CASE("an upstream that answers before the request body ends: the body is dropped, the connection kept") {
  ProxyFixture f;
  Client c(f.port());
  const std::string body(1 << 20, 'e');
  c.send("POST /early HTTP/1.1\r\nHost: known.example\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body.substr(0, 1000));
  Response early = c.read();
  REQUIRE(early.ok);
  CHECK(early.body == "early");
  CHECK(early.headers.count("connection") == 0);  // no close announced
  REQUIRE(c.send(body.substr(1000)));             // the rest of the body still goes somewhere
  c.send(get("/after"));
  Response after = c.read(10000);
  CHECK(after.ok);
  CHECK(after.body == "/after");
}
