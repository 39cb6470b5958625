// Bad clients and bad upstreams: the right status, the right flag, no crash, no leak.
#include <doctest/doctest.h>
#include <sys/socket.h>

#include <csignal>

#include "test/proxy/proxy_fixture.h"

using namespace mesh::test;

TEST_CASE("malformed requests get 400 and the connection closes; upstream sees nothing") {
  ProxyFixture f;
  const char* bad[] = {
      "GETT / HTTP/1.1\r\nHost: known.example\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: known.example\r\nContent-Length: 3\r\nTransfer-Encoding: "
      "chunked\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: known.example\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      "POST / HTTP/1.1\r\nHost: known.example\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET / HTTP/1.1\r\nHost: known.example\r\nX-A: one\r\n two\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: known.example\r\nX-A: o\rne\r\n\r\n",
  };
  for (const char* raw : bad) {
    CAPTURE(raw);
    Client c(f.port());
    c.send(raw);
    Response r = c.read();
    CHECK(r.status == 400);
    CHECK(c.closed());
  }
  CHECK(f.upstream.seen().empty());
  CHECK(f.proxy().counter("downstream_cx_protocol_error") == std::size(bad));
}

TEST_CASE("a header block over 60 KiB gets 431") {
  ProxyFixture f;
  Client c(f.port());
  c.send(get("/", "X-Big: " + std::string(61 * 1024, 'a') + "\r\n"));
  CHECK(c.read().status == 431);
  CHECK(c.closed());
}

TEST_CASE("headers not complete in time get 408") {
  mesh::proxy::ProxyOptions opts;
  opts.request_header_timeout_ms = 200;
  ProxyFixture f(opts);
  Client c(f.port());
  c.send("GET / HTTP/1.1\r\nHost: known.exa");
  Response r = c.read(3000);
  CHECK(r.status == 408);
  CHECK(c.closed());
  CHECK(f.proxy().counter("downstream_rq_timeout") == 1);
}

TEST_CASE("no route is 404 NR; no endpoint is 503 UH; refused connect is 503 UF") {
  ProxyFixture f;
  Client c(f.port());
  c.send("GET / HTTP/1.1\r\nHost: unknown.example\r\n\r\n");
  CHECK(c.read().status == 404);
  c.send(get("/empty"));
  Response uh = c.read();
  CHECK(uh.status == 503);
  CHECK(uh.body == "no healthy upstream");
  c.send(get("/dead"));
  Response uf = c.read();
  CHECK(uf.status == 503);
  CHECK(uf.body.find("connection failure") != std::string::npos);
  c.send(get("/still-alive"));  // local replies keep the connection
  CHECK(c.read().body == "/still-alive");
  CHECK(f.proxy().counter("flag_NR") == 1);
  CHECK(f.proxy().counter("flag_UH") == 1);
  CHECK(f.proxy().counter("flag_UF") == 1);
}

TEST_CASE("upstream reset is 503 UC, broken response is 502, hang past the route timeout is 504 UT") {
  ProxyFixture f;
  Client c(f.port());
  c.send(get("/reset"));
  Response reset = c.read();
  CHECK(reset.status == 503);
  CHECK(reset.body.find("connection termination") != std::string::npos);
  c.send(get("/broken"));
  CHECK(c.read().status == 502);
  c.send(get("/slow/hang"));
  Response slow = c.read();
  CHECK(slow.status == 504);
  c.send(get("/ok"));
  CHECK(c.read().body == "/ok");
  CHECK(f.proxy().counter("flag_UC") == 1);
  CHECK(f.proxy().counter("flag_UPE") == 1);
  CHECK(f.proxy().counter("flag_UT") == 1);
}

TEST_CASE("a client that disconnects mid-request does not leak or stall the worker") {
  ProxyFixture f;
  {
    Client c(f.port());
    c.send("POST /echo HTTP/1.1\r\nHost: known.example\r\nContent-Length: 100000\r\n\r\npartial");
    c.send(get("/unused"));
  }
  {
    Client c(f.port());
    c.send(get("/hang"));
    for (int i = 0; i < 200 && f.upstream.seen().empty(); ++i) {
      Client probe(f.port());  // keeps the loop busy while we wait for the upstream to see /hang
      probe.send(get("/probe"));
      probe.read();
    }
  }
  Response r = request(f.port(), get("/fine"));
  CHECK(r.body == "/fine");
}

TEST_CASE("many idle connections do not stop others from being served") {
  ProxyFixture f;
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 500; ++i) idle.push_back(std::make_unique<Client>(f.port()));
  Response r = request(f.port(), get("/served"));
  CHECK(r.body == "/served");
  CHECK(f.proxy().counter("downstream_cx_active") >= 1);
}

TEST_CASE(
    "a running proxy ignores SIGPIPE: a client that resets while it writes costs an EPIPE, not the process") {
  ProxyFixture f;
  REQUIRE(f.started());
  struct sigaction current {};
  sigaction(SIGPIPE, nullptr, &current);
  const bool ignored = current.sa_handler == SIG_IGN;
  CHECK(ignored);
  for (int i = 0; i < 3; ++i) {  // resets in the middle of a big response
    Client c(f.port());
    c.send(get("/big/8000000"));
    c.read_exact(1000);
    linger l{1, 0};
    setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  CHECK(request(f.port(), get("/still")).body == "/still");
}
