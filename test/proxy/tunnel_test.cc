// Upgrade (WebSocket) tunnels through the proxy, against a tiny echo server
// that answers upgrades with 101 and then echoes bytes.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "test/proxy/cluster_fixture.h"

using namespace mesh;
using namespace mesh::test;

namespace {

// /ws: 101, then echoes until EOF.  /bye: 101, sends "bye", closes.
// anything else: 403 "no upgrade" (Content-Length), then closes.
class EchoUpgradeServer {
 public:
  EchoUpgradeServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd_, 16);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~EchoUpgradeServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }
  std::string head() {
    std::lock_guard<std::mutex> lock(mu_);
    return head_;
  }
  bool saw_eof() const { return eof_.load(); }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      handle(c);
      close(c);
    }
  }
  bool read_head(int c, std::string& buf) {
    char tmp[65536];
    while (buf.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = recv(c, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<size_t>(n));
    }
    return true;
  }
  void send_all(int c, std::string_view s) {
    for (size_t off = 0; off < s.size();) {
      ssize_t n = ::send(c, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  void handle(int c) {
    std::string buf;
    if (!read_head(c, buf)) return;
    size_t end = buf.find("\r\n\r\n") + 4;
    {
      std::lock_guard<std::mutex> lock(mu_);
      head_ = buf.substr(0, end);
    }
    std::string rest = buf.substr(end);
    if (head_.rfind("GET /ws ", 0) == 0) {
      send_all(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
      send_all(c, rest);
      char tmp[65536];
      for (;;) {
        ssize_t n = recv(c, tmp, sizeof tmp, 0);
        if (n <= 0) break;
        send_all(c, std::string_view(tmp, static_cast<size_t>(n)));
      }
      eof_ = true;
    } else if (head_.rfind("GET /bye ", 0) == 0) {
      send_all(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nbye");
    } else {
      send_all(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 10\r\n\r\nno upgrade");
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false}, eof_{false};
  std::thread thread_;
  std::mutex mu_;
  std::string head_;
};

std::string upgrade(const std::string& path) {
  return "GET " + path +
         " HTTP/1.1\r\nHost: known.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

}  // namespace

TEST_CASE("WebSocket upgrade: 101 passed on, then bytes echo both ways, 1 MiB included") {
  EchoUpgradeServer server;
  ProxyFixture f({}, default_config(server.port()));
  Client c(f.port());
  c.send(upgrade("/ws") + "early");  // bytes right behind the request are tunnelled too
  Response r = c.read();
  CHECK(r.status == 101);
  CHECK(r.headers["upgrade"] == "websocket");
  CHECK(r.headers["connection"] == "upgrade");
  CHECK(c.read_exact(5) == "early");
  c.send("ping");
  CHECK(c.read_exact(4) == "ping");
  std::string big(1 << 20, 'w');
  for (size_t i = 0; i < big.size(); i += 4099) big[i] = static_cast<char>('a' + i % 26);
  std::thread writer([&] { c.send(big); });
  std::string echoed = c.read_exact(big.size(), 10000);
  writer.join();
  CHECK(echoed == big);
  std::string head = server.head();
  CHECK(head.find("upgrade: websocket\r\n") != std::string::npos);
  CHECK(head.find("connection: upgrade\r\n") != std::string::npos);
  CHECK(head.find("sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n") != std::string::npos);
  CHECK(head.find("x-forwarded-for: 127.0.0.1\r\n") != std::string::npos);
  shutdown(c.fd(), SHUT_WR);  // the client closes: the upstream side sees EOF
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!server.saw_eof() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(server.saw_eof());
  CHECK(c.closed());
}

TEST_CASE("the upstream closing the tunnel closes the client") {
  EchoUpgradeServer server;
  ProxyFixture f({}, default_config(server.port()));
  Client c(f.port());
  c.send(upgrade("/bye"));
  CHECK(c.read().status == 101);
  CHECK(c.read_exact(3) == "bye");
  CHECK(c.closed());
}

TEST_CASE("an upgrade the upstream refuses is passed on as a normal response") {
  EchoUpgradeServer server;
  ProxyFixture f({}, default_config(server.port()));
  Client c(f.port());
  c.send(upgrade("/no"));
  Response r = c.read();
  CHECK(r.status == 403);
  CHECK(r.body == "no upgrade");
  CHECK(r.headers["connection"] == "close");
  CHECK(c.closed());
}

TEST_CASE("an upgrade to a dead upstream gets 503 UF") {
  EchoUpgradeServer server;
  ProxyFixture f({}, default_config(server.port()));
  Response r = request(f.port(), upgrade("/dead"));
  CHECK(r.status == 503);
  CHECK(f.proxy().counter("flag_UF") == 1);
}

TEST_CASE("a tunnel holds one of the cluster's connections: over maxConnections an upgrade gets 503 UO") {
  EchoUpgradeServer server;
  auto cfg = default_config(server.port());
  cfg->clusters.front().connection_pool.emplace();
  cfg->clusters.front().connection_pool->tcp.max_connections = 1;
  proxy::ProxyOptions opts;
  opts.concurrency = 1;  // limits are per worker
  ProxyFixture f(opts, cfg);
  auto first = std::make_unique<Client>(f.port());
  first->send(upgrade("/ws"));
  REQUIRE(first->read().status == 101);
  Response refused = request(f.port(), upgrade("/ws"));
  CHECK(refused.status == 503);
  CHECK(refused.body.find("reset reason: overflow") != std::string::npos);
  CHECK(f.proxy().counter("flag_UO") == 1);
  first.reset();  // the tunnel ends and gives its connection back
  CHECK(eventually([&] { return request(f.port(), upgrade("/bye")).status == 101; }));
}

TEST_CASE("a tunnel with no traffic either way ends after the idle timeout") {
  EchoUpgradeServer server;
  auto cfg = default_config(server.port());
  cfg->clusters.front().connection_pool.emplace();
  cfg->clusters.front().connection_pool->http.idle_timeout = std::chrono::milliseconds(300);
  ProxyFixture f({}, cfg);
  Client c(f.port());
  auto opened = std::chrono::steady_clock::now();
  c.send(upgrade("/ws"));
  REQUIRE(c.read().status == 101);
  for (int i = 0; i < 3; ++i) {  // traffic keeps it open past the timeout
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    c.send("ping");
    CHECK(c.read_exact(4) == "ping");
  }
  CHECK(c.closed(5000));
  CHECK(std::chrono::steady_clock::now() - opened >= std::chrono::milliseconds(700));
  CHECK(f.proxy().counter("upstream_cx_idle_timeout") == 1);
}
