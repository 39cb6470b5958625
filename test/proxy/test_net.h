// Blocking loopback helpers for proxy tests: a scripted upstream server and a raw
// HTTP/1 client. Every wait has a deadline; nothing sleeps to synchronise.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mesh::test {

struct SeenRequest {
  std::string method, path;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// An HTTP/1.1 upstream on 127.0.0.1:port. What it does depends on the path:
//   /reset       closes the connection (RST) without answering
//   .../hang     never answers
//   /broken      answers with a malformed status line
//   /close       answers and closes (Connection: close)
//   /chunked/N   answers N bytes, chunked
//   /big/N       answers N bytes with Content-Length
//   /echo        answers the request body
//   /delay/N     answers 200 after N ms
//   anything else: `status` (200 unless set) with the path as body
// With `hang` set it never answers anything.
class TestUpstream {
 public:
  TestUpstream();
  ~TestUpstream();
  uint16_t port() const { return port_; }
  std::vector<SeenRequest> seen();
  int connections() const { return connections_.load(); }
  size_t served() { return seen().size(); }
  std::atomic<int> status{200};
  std::atomic<bool> hang{false};

 private:
  void accept_loop();
  void serve(int fd);
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> handlers_;
  std::vector<int> fds_;
  std::vector<SeenRequest> seen_;
};

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool ok = false;  // a complete response was read
};

// A raw client connection to 127.0.0.1:port.
class Client {
 public:
  // source_ip: bind to this loopback address first (e.g. to match an iptables rule).
  explicit Client(uint16_t port, const char* source_ip = nullptr);
  ~Client();
  bool send(const std::string& bytes);
  // Reads one response (Content-Length, chunked or until close). head_only: a response to HEAD.
  Response read(int timeout_ms = 5000, bool head_only = false);
  // True when the peer closed the connection (EOF) within the timeout.
  bool closed(int timeout_ms = 5000);
  std::string read_exact(size_t n, int timeout_ms = 5000);
  int fd() const { return fd_; }

 private:
  bool fill(int timeout_ms);  // reads more into buf_; false on EOF/timeout
  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
};

// One request, one response on a fresh connection.
Response request(uint16_t port, const std::string& bytes, int timeout_ms = 5000);
// Any closed loopback port (bound then released).
uint16_t unused_port();

}  // namespace mesh::test
