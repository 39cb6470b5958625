#include "cmd/http_get.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/net/tcp.h"

namespace mesh::cmd {
namespace {

// Waits until fd is ready for `events`; false on timeout or error.
bool wait_for(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  return poll(&p, 1, timeout_ms) == 1;
}

int connect_to(const std::string& address, std::string& error, int timeout_ms) {
  std::string host;
  uint16_t port = 0;
  sockaddr_storage addr{};
  if (!net::parse_host_port(address, host, port) || net::make_address(host, port, addr) != 0) {
    error = "not ADDR:PORT with an IP address: " + address;
    return -1;
  }
  const int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return error = std::strerror(errno), -1;
  const socklen_t len = addr.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  int rc = connect(fd, reinterpret_cast<const sockaddr*>(&addr), len);
  int so_error = rc == 0 ? 0 : errno;
  if (rc != 0 && errno == EINPROGRESS && wait_for(fd, POLLOUT, timeout_ms)) {
    socklen_t n = sizeof so_error;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &n);
  } else if (rc != 0 && errno == EINPROGRESS) {
    so_error = ETIMEDOUT;
  }
  if (so_error != 0) {
    error = "cannot connect to " + address + ": " + std::strerror(so_error);
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int http_get(const std::string& address, const std::string& path, std::string& body, int timeout_ms) {
  const int fd = connect_to(address, body, timeout_ms);
  if (fd < 0) return 0;
  const std::string request = "GET " + path + " HTTP/1.1\r\nhost: " + address + "\r\nconnection: close\r\n\r\n";
  std::string response;
  bool ok = send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size());
  char buf[16384];
  while (ok && wait_for(fd, POLLIN, timeout_ms)) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  const size_t head_end = response.find("\r\n\r\n");
  if (!ok || head_end == std::string::npos || response.size() < 12) {
    body = "no HTTP response from " + address;
    return 0;
  }
  body = response.substr(head_end + 4);
  return std::atoi(response.c_str() + 9);
}

}  // namespace mesh::cmd
