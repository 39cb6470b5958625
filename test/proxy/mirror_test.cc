// Mirroring: a copy of each request goes to the mirror cluster with Host
// "<host>-shadow", body included; its response is dropped and it never slows
// down or fails the main request.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "test/proxy/proxy_fixture.h"

using namespace mesh;
using namespace mesh::test;

namespace {

std::shared_ptr<pc::ProxyConfig> mirror_config(uint16_t main_port, uint16_t mirror_port, double percent,
                                               bool second_mirror_dead = false) {
  auto cfg = default_config(main_port);
  auto& vh = cfg->route_tables.mutable_at(0).virtual_hosts[0];
  pc::Route r = forward_route("mirrored", "up", uri_prefix("/"));
  auto& fwd = std::get<pc::ForwardAction>(r.action);
  fwd.mirrors.push_back(pc::MirrorPolicy{"mirror", "mirror.example", percent});
  if (second_mirror_dead) fwd.mirrors.push_back(pc::MirrorPolicy{"dead", "dead.example", 100});
  vh.routes.insert(vh.routes.begin(), r);
  cfg->route_tables.mutable_at(0).index();
  cfg->clusters.push_back(cluster("mirror", {mirror_port}));
  return cfg;
}

template <typename Pred>
bool eventually(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

// A port whose listener never accepts: connections complete in the kernel
// backlog and requests written to them are never answered.
struct SilentListener {
  int fd = -1;
  uint16_t port = 0;
  SilentListener() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd, 16);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~SilentListener() { close(fd); }
};

}  // namespace

TEST_CASE("mirror: the shadow host gets a copy with its body; the client gets the main response") {
  TestUpstream main_up, mirror_up;
  ProxyFixture f({}, mirror_config(main_up.port(), mirror_up.port(), 100, true));
  Response r = request(f.port(),
                       "POST /echo HTTP/1.1\r\nHost: known.example:8080\r\nContent-Length: 5\r\n"
                       "X-Request-Id: rid\r\n\r\nhello");
  CHECK(r.status == 200);
  CHECK(r.body == "hello");
  REQUIRE(eventually([&] { return mirror_up.seen().size() == 1; }));
  SeenRequest shadow = mirror_up.seen()[0];
  CHECK(shadow.method == "POST");
  CHECK(shadow.path == "/echo");
  CHECK(shadow.headers["host"] == "known.example-shadow:8080");
  CHECK(shadow.body == "hello");
  CHECK(shadow.headers["x-request-id"] == "rid");
  REQUIRE(main_up.seen().size() == 1);
  CHECK(main_up.seen()[0].headers["host"] == "known.example:8080");
  // Chunked bodies are mirrored too.
  r = request(f.port(),
              "POST /echo HTTP/1.1\r\nHost: known.example\r\nTransfer-Encoding: chunked\r\n\r\n"
              "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  CHECK(r.body == "abcde");
  REQUIRE(eventually([&] { return mirror_up.seen().size() == 2; }));
  CHECK(mirror_up.seen()[1].body == "abcde");
  CHECK(mirror_up.seen()[1].headers["host"] == "known.example-shadow");
  CHECK(f.proxy().counter("upstream_rq_mirrored") == 4);  // two to "mirror", two to the dead cluster
}

TEST_CASE("mirrorPercentage 0 sends no copies") {
  TestUpstream main_up, mirror_up;
  ProxyFixture f({}, mirror_config(main_up.port(), mirror_up.port(), 0));
  for (int i = 0; i < 10; ++i) CHECK(request(f.port(), get("/p")).status == 200);
  CHECK(main_up.seen().size() == 10);
  CHECK(mirror_up.seen().empty());
  CHECK(f.proxy().counter("upstream_rq_mirrored") == 0);
}

TEST_CASE("a mirror that never answers neither delays nor fails the main requests") {
  TestUpstream main_up;
  SilentListener silent;
  proxy::ProxyOptions opts;
  opts.concurrency = 1;
  ProxyFixture f(opts, mirror_config(main_up.port(), silent.port, 100));
  Client c(f.port());
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    c.send(get("/k" + std::to_string(i)));
    Response r = c.read(2000);
    CHECK(r.status == 200);
    CHECK(r.body == "/k" + std::to_string(i));
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  CHECK(f.proxy().counter("upstream_rq_mirrored") == 5);
}
