#include "proxy/app_health.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <nlohmann/json.hpp>

#include "core/net/tcp.h"
#include "proxy/headers.h"

namespace mesh::proxy {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxHead = 16 * 1024;
constexpr auto kRequestDeadline = std::chrono::seconds(5);

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    int ms = remaining_ms(deadline);
    if (ms == 0) return false;
    pollfd p{fd, events, 0};
    int rc = poll(&p, 1, ms);
    if (rc > 0) return true;
    if (rc == 0 || errno != EINTR) return false;
  }
}

// Reads until the end of a message head; false on timeout, EOF or oversize.
bool read_head(int fd, Clock::time_point deadline, std::string& out) {
  char buf[2048];
  while (out.find("\r\n\r\n") == std::string::npos) {
    if (out.size() > kMaxHead || !wait_for(fd, POLLIN, deadline)) return false;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return false;
    out.append(buf, static_cast<size_t>(n));
  }
  return true;
}

bool write_all(int fd, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return false;
    } else if (!wait_for(fd, POLLOUT, deadline)) {
      return false;
    }
  }
  return true;
}

// A connected non-blocking socket, or -1. Binds `source` first when given
// (a failure to bind it is not fatal: the probe still goes out).
int connect_before(const sockaddr_storage& to, const sockaddr_storage* source, Clock::time_point deadline) {
  int fd = socket(to.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  socklen_t len = to.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (source != nullptr) bind(fd, reinterpret_cast<const sockaddr*>(source), len);
  int rc = connect(fd, reinterpret_cast<const sockaddr*>(&to), len);
  int err = 0;
  socklen_t err_len = sizeof err;
  if (rc != 0 && (errno != EINPROGRESS || !wait_for(fd, POLLOUT, deadline) ||
                  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0 || err != 0)) {
    close(fd);
    return -1;
  }
  return fd;
}

// "HTTP/1.1 204 No Content" -> 204; 0 when malformed.
int status_of(std::string_view head) {
  if (head.rfind("HTTP/1.", 0) != 0 || head.size() < 12 || head[8] != ' ') return 0;
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (head[i] < '0' || head[i] > '9') return 0;
    status = status * 10 + (head[i] - '0');
  }
  return status;
}

std::optional<AppProbe> parse_probe(const nlohmann::json& j, std::string& error) {
  const auto get = j.find("httpGet");
  if (get == j.end() || !get->is_object()) {
    error = "only httpGet probes are supported";
    return std::nullopt;
  }
  AppProbe p;
  p.host = get->value("host", "");
  p.path = get->value("path", "/");
  p.scheme = get->value("scheme", "HTTP");
  const auto port = get->find("port");
  if (port == get->end() || !port->is_number_integer() || port->get<int64_t>() < 1 ||
      port->get<int64_t>() > 65535) {
    error = "httpGet.port must be a number from 1 to 65535";
    return std::nullopt;
  }
  p.port = static_cast<uint16_t>(port->get<int64_t>());
  if (auto h = get->find("httpHeaders"); h != get->end() && h->is_array()) {
    for (const auto& header : *h) p.headers.emplace_back(header.value("name", ""), header.value("value", ""));
  }
  if (auto t = j.find("timeoutSeconds"); t != j.end() && t->is_number_integer() && t->get<int>() > 0) {
    p.timeout_seconds = t->get<int>();
  }
  return p;
}

}  // namespace

std::optional<std::map<std::string, AppProbe>> parse_app_probers(const std::string& json,
                                                                 std::string& error) {
  std::map<std::string, AppProbe> out;
  if (json.empty()) return out;
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    error = "ISTIO_KUBE_APP_PROBERS: not a JSON object";
    return std::nullopt;
  }
  for (const auto& [path, probe] : doc.items()) {
    std::string why;
    std::optional<AppProbe> p = probe.is_object() ? parse_probe(probe, why) : std::nullopt;
    if (!p) {
      error = "ISTIO_KUBE_APP_PROBERS: " + path + ": " + (why.empty() ? "not an object" : why);
      return std::nullopt;
    }
    out.emplace(path, std::move(*p));
  }
  return out;
}

AppHealthServer::AppHealthServer(std::map<std::string, AppProbe> probes, std::string pod_ip)
    : probes_(std::move(probes)), pod_ip_(std::move(pod_ip)) {}

AppHealthServer::~AppHealthServer() {
  stop();
}

bool AppHealthServer::start(const std::string& address, int port, std::string& error) {
  sockaddr_storage addr{};
  if (net::make_address(address, static_cast<uint16_t>(port), addr) != 0) {
    error = "app health: not an IP address: " + address;
    return false;
  }
  listen_fd_ = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  socklen_t len = addr.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(listen_fd_, 64) != 0 || pipe2(wake_, O_CLOEXEC) != 0) {
    error = "app health listen on " + address + ":" + std::to_string(port) + ": " + std::strerror(errno);
    return false;
  }
  len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);  // same offset in sockaddr_in6
  thread_ = std::thread([this] { serve(); });
  return true;
}

void AppHealthServer::stop() {
  if (thread_.joinable()) {
    char b = 0;
    (void)!write(wake_[1], &b, 1);
    thread_.join();
  }
  for (int* fd : {&listen_fd_, &wake_[0], &wake_[1]}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

void AppHealthServer::serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) continue;
    handle(fd);
    close(fd);
  }
}

void AppHealthServer::handle(int fd) {
  auto deadline = Clock::now() + kRequestDeadline;
  std::string head;
  if (!read_head(fd, deadline, head)) return;
  size_t sp1 = head.find(' ');
  size_t sp2 = sp1 == std::string::npos ? sp1 : head.find(' ', sp1 + 1);
  std::string path = sp2 == std::string::npos ? "" : head.substr(sp1 + 1, sp2 - sp1 - 1);
  path = path.substr(0, path.find('?'));
  auto it = probes_.find(path);
  int status = it == probes_.end() ? 404 : run_probe(it->second);
  std::string body = it == probes_.end() ? "no probe at " + path + "\n" : "";
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason_phrase(status)) +
                    "\r\ncontent-type: text/plain\r\ncontent-length: " + std::to_string(body.size()) +
                    "\r\nconnection: close\r\n\r\n" + body;
  write_all(fd, out, deadline);
}

int http_request_status(const HttpProbeRequest& r) {
  sockaddr_storage to{}, source{};
  if (net::make_address(r.ip, r.port, to) != 0) return 0;
  const bool bind_source = !r.source_ip.empty() && net::make_address(r.source_ip, 0, source) == 0 &&
                           source.ss_family == to.ss_family;
  auto deadline = Clock::now() + std::chrono::milliseconds(r.timeout_ms);
  int fd = connect_before(to, bind_source ? &source : nullptr, deadline);
  if (fd < 0) return 0;
  std::string request = r.method + " " + r.path + " HTTP/1.1\r\nhost: " + r.host +
                        "\r\nuser-agent: " + r.user_agent + "\r\ncontent-length: 0\r\n";
  for (const auto& [name, value] : r.headers) request += name + ": " + value + "\r\n";
  request += "connection: close\r\n\r\n";
  std::string head;
  bool ok = write_all(fd, request, deadline) && read_head(fd, deadline, head);
  close(fd);
  return ok ? status_of(head) : 0;
}

int AppHealthServer::run_probe(const AppProbe& probe) const {
  if (probe.scheme != "HTTP") return 500;  // HTTPS probes: not supported yet
  HttpProbeRequest r;
  r.ip = !probe.host.empty() ? probe.host : !pod_ip_.empty() ? pod_ip_ : "127.0.0.1";
  r.port = probe.port;
  r.path = probe.path;
  r.host = r.ip + ":" + std::to_string(probe.port);
  r.headers = probe.headers;
  r.timeout_ms = probe.timeout_seconds * 1000;
  // Like istio-agent: from 127.0.0.6 (::6), which capture lets through lo,
  // so a probe to the pod's own address is not captured as inbound traffic.
  r.source_ip = r.ip.find(':') != std::string::npos ? "::6" : "127.0.0.6";
  int status = http_request_status(r);
  return status == 0 ? 500 : status;
}

}  // namespace mesh::proxy
