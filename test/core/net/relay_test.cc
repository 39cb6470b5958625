// PortForward over real loopback sockets: bytes both ways, back-pressure with a
// large body, half-close carried across, an unreachable target, clean close.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "core/net/loop.h"
#include "core/net/relay.h"
#include "core/net/tcp.h"

using namespace mesh::net;

namespace {

int listen_any(uint16_t& port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  listen(fd, 8);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

int connect_to(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 ? fd : (close(fd), -1);
}

// Echoes one connection until EOF, then half-closes its side too.
void echo_once(int listener) {
  int c = accept(listener, nullptr, nullptr);
  char buf[65536];
  for (ssize_t n; (n = read(c, buf, sizeof buf)) > 0;) {
    for (ssize_t off = 0; off < n;) off += write(c, buf + off, static_cast<size_t>(n - off));
  }
  shutdown(c, SHUT_WR);
  close(c);
}

std::string read_all(int fd) {
  std::string out;
  char buf[65536];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

sockaddr_storage loopback(uint16_t port) {
  sockaddr_storage a{};
  make_address("127.0.0.1", port, a);
  return a;
}

int plain_socket(int family) {
  return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

}  // namespace

TEST_CASE("a relayed connection carries 4 MiB both ways and the half-close") {
  uint16_t upstream_port = 0;
  int upstream = listen_any(upstream_port);
  std::thread echo([&] { echo_once(upstream); });
  Loop loop;
  PortForward forward(loop.get(), loopback(upstream_port), plain_socket);
  REQUIRE(forward.listen(loopback(0)) == 0);
  const uint16_t port = forward.port();
  REQUIRE(port != 0);
  std::string echoed;
  const std::string body(4 << 20, 'x');
  std::thread client([&] {
    int fd = connect_to(port);
    std::thread reader([&] { echoed = read_all(fd); });
    for (size_t off = 0; off < body.size();) off += static_cast<size_t>(write(fd, body.data() + off, body.size() - off));
    shutdown(fd, SHUT_WR);  // the echo server sees EOF only if the relay carries it
    reader.join();
    close(fd);
    loop.post([&] { forward.close([&] { loop.stop(); }); });
  });
  loop.run();
  client.join();
  echo.join();
  close(upstream);
  CHECK(echoed.size() == body.size());
  CHECK(echoed == body);
  CHECK(forward.connections() == 0);
  CHECK(loop.close() == 0);
}

TEST_CASE("a connection to an unreachable target is closed, and the forward keeps serving") {
  uint16_t dead_port = 0;
  close(listen_any(dead_port));  // nothing listens there any more
  Loop loop;
  PortForward forward(loop.get(), loopback(dead_port), plain_socket);
  REQUIRE(forward.listen(loopback(0)) == 0);
  std::string got = "unset";
  std::thread client([&] {
    for (int i = 0; i < 2; ++i) {
      int fd = connect_to(forward.port());
      got = read_all(fd);  // EOF (or reset) once the relay gives up
      close(fd);
    }
    loop.post([&] { forward.close([&] { loop.stop(); }); });
  });
  loop.run();
  client.join();
  CHECK(got.empty());
  CHECK(loop.close() == 0);
}

TEST_CASE("a socket factory failure closes the client") {
  uint16_t upstream_port = 0;
  int upstream = listen_any(upstream_port);
  Loop loop;
  PortForward forward(loop.get(), loopback(upstream_port), [](int) { return -1; });
  REQUIRE(forward.listen(loopback(0)) == 0);
  std::string got = "unset";
  std::thread client([&] {
    int fd = connect_to(forward.port());
    got = read_all(fd);
    close(fd);
    loop.post([&] { forward.close([&] { loop.stop(); }); });
  });
  loop.run();
  client.join();
  close(upstream);
  CHECK(got.empty());
  CHECK(loop.close() == 0);
}
