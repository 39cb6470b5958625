#include "test/proxy/test_net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace mesh::test {
namespace {

using Clock = std::chrono::steady_clock;

int listen_loopback(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  listen(fd, 128);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Splits a head into start line and headers.
std::string parse_head(const std::string& head, std::map<std::string, std::string>& headers) {
  size_t eol = head.find("\r\n");
  std::string start = head.substr(0, eol);
  size_t pos = eol + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string line = head.substr(pos, e - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string v = line.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      std::string k = lower(line.substr(0, colon));
      headers[k] = headers.count(k) ? headers[k] + "," + v : v;
    }
    pos = e + 2;
  }
  return start;
}

// Reads from fd into buf until `pred(buf)` or EOF/timeout.
template <typename Pred>
bool read_until(int fd, std::string& buf, int timeout_ms, Pred pred) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  char tmp[65536];
  while (!pred(buf)) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, left) <= 0) continue;
    ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return pred(buf);
    buf.append(tmp, static_cast<size_t>(n));
  }
  return true;
}

// Decodes a chunked body at the start of `in`; returns bytes consumed or 0 if incomplete.
size_t decode_chunked(const std::string& in, std::string& out) {
  size_t pos = 0;
  out.clear();
  for (;;) {
    size_t eol = in.find("\r\n", pos);
    if (eol == std::string::npos) return 0;
    size_t len = std::stoul(in.substr(pos, eol - pos), nullptr, 16);
    pos = eol + 2;
    if (len == 0) {
      size_t end = in.find("\r\n\r\n", pos - 2);
      return end == std::string::npos ? 0 : end + 4;
    }
    if (in.size() < pos + len + 2) return 0;
    out.append(in, pos, len);
    pos += len + 2;
  }
}

}  // namespace

TestUpstream::TestUpstream() {
  listen_fd_ = listen_loopback(&port_);
  if (pipe(wake_) != 0) wake_[0] = wake_[1] = -1;
  acceptor_ = std::thread([this] { accept_loop(); });
}

TestUpstream::~TestUpstream() {
  stop_ = true;
  if (write(wake_[1], "x", 1) < 0) {
  }
  acceptor_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : handlers_) t.join();
  for (int fd : fds_) close(fd);
  close(listen_fd_);
  close(wake_[0]);
  close(wake_[1]);
}

std::vector<SeenRequest> TestUpstream::seen() {
  std::lock_guard<std::mutex> lock(mu_);
  return seen_;
}

void TestUpstream::accept_loop() {
  while (!stop_) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(p, 2, -1) <= 0 || (p[1].revents & POLLIN)) continue;
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    ++connections_;
    std::lock_guard<std::mutex> lock(mu_);
    fds_.push_back(fd);
    handlers_.emplace_back([this, fd] { serve(fd); });
  }
}

void TestUpstream::serve(int fd) {
  std::string buf;
  while (!stop_) {
    if (!read_until(fd, buf, 60000,
                    [](const std::string& b) { return b.find("\r\n\r\n") != std::string::npos; })) {
      return;
    }
    size_t end = buf.find("\r\n\r\n");
    SeenRequest req;
    std::string start = parse_head(buf.substr(0, end + 2), req.headers);
    buf.erase(0, end + 4);
    req.method = start.substr(0, start.find(' '));
    req.path = start.substr(start.find(' ') + 1, start.rfind(' ') - start.find(' ') - 1);
    if (req.path == "/early") {  // answers before reading the body, as nginx's `return` does
      const std::string early = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nearly";
      if (::send(fd, early.data(), early.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(early.size())) return;
    }
    if (req.headers.count("content-length")) {
      size_t n = std::stoul(req.headers["content-length"]);
      if (!read_until(fd, buf, 10000, [n](const std::string& b) { return b.size() >= n; })) return;
      req.body = buf.substr(0, n);
      buf.erase(0, n);
    } else if (req.headers.count("transfer-encoding")) {
      size_t used = 0;
      if (!read_until(fd, buf, 10000,
                      [&](const std::string& b) { return (used = decode_chunked(b, req.body)) > 0; })) {
        return;
      }
      buf.erase(0, used);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(req);
    }
    std::string out;
    const std::string& path = req.path;
    if (path == "/early") continue;
    if (hang) {
      read_until(fd, buf, 60000, [this](const std::string&) { return stop_.load(); });
      return;
    }
    if (path.rfind("/delay/", 0) == 0) {
      // Waits N ms, or less when the proxy closes the connection first.
      read_until(fd, buf, static_cast<int>(std::stoul(path.substr(7))),
                 [](const std::string&) { return false; });
    }
    if (path == "/reset") {
      linger l{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      shutdown(fd, SHUT_RDWR);
      return;
    } else if (path.size() >= 5 && path.compare(path.size() - 5, 5, "/hang") == 0) {
      read_until(fd, buf, 60000, [this](const std::string&) { return stop_.load(); });
      return;
    } else if (path == "/broken") {
      out = "HTTP/1.1 abc Broken\r\n\r\n";
    } else if (path.rfind("/chunked/", 0) == 0) {
      size_t n = std::stoul(path.substr(9));
      out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
      for (size_t sent = 0; sent < n;) {
        size_t c = std::min<size_t>(10000, n - sent);
        char hex[32];
        snprintf(hex, sizeof hex, "%zx\r\n", c);
        out += hex + std::string(c, 'c') + "\r\n";
        sent += c;
      }
      out += "0\r\n\r\n";
    } else if (path.rfind("/big/", 0) == 0) {
      size_t n = std::stoul(path.substr(5));
      out = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(n) + "\r\n\r\n" + std::string(n, 'b');
    } else if (path == "/echo") {
      out = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(req.body.size()) + "\r\n\r\n" + req.body;
    } else if (path == "/close") {
      out = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nclose";
    } else {
      out = "HTTP/1.1 " + std::to_string(status.load()) +
            " Status\r\nContent-Length: " + std::to_string(path.size()) + "\r\nX-Upstream: yes\r\n\r\n" +
            path;
    }
    for (size_t off = 0; off < out.size();) {
      ssize_t n = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
    if (path == "/close") {
      shutdown(fd, SHUT_RDWR);
      return;
    }
  }
}

Client::Client(uint16_t port, const char* source_ip) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (source_ip != nullptr) {
    sockaddr_in s{};
    s.sin_family = AF_INET;
    inet_pton(AF_INET, source_ip, &s.sin_addr);
    bind(fd_, reinterpret_cast<sockaddr*>(&s), sizeof s);
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
}

Client::~Client() {
  close(fd_);
}

bool Client::send(const std::string& bytes) {
  for (size_t off = 0; off < bytes.size();) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool Client::fill(int timeout_ms) {
  size_t before = buf_.size();
  read_until(fd_, buf_, timeout_ms, [before](const std::string& b) { return b.size() > before; });
  return buf_.size() > before;
}

Response Client::read(int timeout_ms, bool head_only) {
  Response r;
  auto has_head = [](const std::string& b) { return b.find("\r\n\r\n") != std::string::npos; };
  if (!read_until(fd_, buf_, timeout_ms, has_head)) return r;
  size_t end = buf_.find("\r\n\r\n");
  std::string start = parse_head(buf_.substr(0, end + 2), r.headers);
  buf_.erase(0, end + 4);
  r.status = std::atoi(start.substr(start.find(' ') + 1).c_str());
  if (head_only || r.status == 204 || r.status == 304 || r.status / 100 == 1) {
    r.ok = true;
  } else if (r.headers.count("content-length")) {
    size_t n = std::stoul(r.headers["content-length"]);
    r.ok = read_until(fd_, buf_, timeout_ms, [n](const std::string& b) { return b.size() >= n; });
    r.body = buf_.substr(0, std::min(n, buf_.size()));
    buf_.erase(0, r.body.size());
  } else if (r.headers.count("transfer-encoding")) {
    size_t used = 0;
    r.ok = read_until(fd_, buf_, timeout_ms,
                      [&](const std::string& b) { return (used = decode_chunked(b, r.body)) > 0; });
    buf_.erase(0, used);
  } else {
    read_until(fd_, buf_, timeout_ms, [](const std::string&) { return false; });
    r.body = buf_;
    buf_.clear();
    r.ok = true;
  }
  return r;
}

bool Client::closed(int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  char tmp[4096];
  while (Clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return true;
    buf_.append(tmp, static_cast<size_t>(n));
  }
  return false;
}

std::string Client::read_exact(size_t n, int timeout_ms) {
  read_until(fd_, buf_, timeout_ms, [n](const std::string& b) { return b.size() >= n; });
  std::string out = buf_.substr(0, std::min(n, buf_.size()));
  buf_.erase(0, out.size());
  return out;
}

Response request(uint16_t port, const std::string& bytes, int timeout_ms) {
  Client c(port);
  c.send(bytes);
  return c.read(timeout_ms);
}

uint16_t unused_port() {
  uint16_t port = 0;
  int fd = listen_loopback(&port);
  close(fd);
  return port;
}

}  // namespace mesh::test
