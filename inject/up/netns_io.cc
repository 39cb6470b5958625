#include "inject/up/netns_io.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace mesh::up {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Connects a fresh socket from inside `netns`; the fd (>= 0) or -1.
int connect_in(const std::string& netns, const std::string& ip, uint16_t port, Clock::time_point deadline) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) return -1;
  int fd = socket_in_netns(netns, AF_INET);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int err = 0;
  socklen_t len = sizeof err;
  if (poll(&p, 1, remaining_ms(deadline)) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
      err != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int socket_in_netns(const std::string& netns, int family) {
  const std::string path = "/run/netns/" + netns;
  int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) return -errno;
  int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) {
    int e = errno;
    close(target);
    return -e;
  }
  int fd = -1;
  if (setns(target, CLONE_NEWNET) == 0) {
    fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) fd = -errno;
    if (setns(home, CLONE_NEWNET) != 0) std::abort();  // a thread left in a pod's namespace must not go on
  } else {
    fd = -errno;
  }
  close(target);
  close(home);
  return fd;
}

bool probe_tcp(const std::string& netns, const std::string& ip, uint16_t port, int timeout_ms) {
  int fd = connect_in(netns, ip, port, Clock::now() + std::chrono::milliseconds(timeout_ms));
  if (fd < 0) return false;
  close(fd);
  return true;
}

int probe_http(const std::string& netns, const std::string& ip, uint16_t port, const std::string& path,
               int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  int fd = connect_in(netns, ip, port, deadline);
  if (fd < 0) return 0;
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + ip + ":" + std::to_string(port) +
                              "\r\nUser-Agent: mesh-up-probe\r\nConnection: close\r\n\r\n";
  int status = 0;
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buf[64];
    size_t got = 0;
    pollfd p{fd, POLLIN, 0};
    while (got < 12 && poll(&p, 1, remaining_ms(deadline)) == 1) {
      ssize_t n = recv(fd, buf + got, sizeof buf - 1 - got, 0);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    buf[got] = '\0';
    if (got >= 12 && std::strncmp(buf, "HTTP/1.", 7) == 0) status = std::atoi(buf + 9);
  }
  close(fd);
  return status;
}

}  // namespace mesh::up
