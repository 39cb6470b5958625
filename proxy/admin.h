// The main thread's side: admin endpoint (loopback), health endpoint, signals and
// the drain sequence. Runs on its own uv loop; talks to workers only via post().
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/buffer_pool.h"
#include "core/net/loop.h"

namespace mesh::proxy {

class Proxy;
class AdminConn;
class ConfigWatch;

class Admin {
 public:
  explicit Admin(Proxy& proxy);
  ~Admin();

  int listen(bool health, const sockaddr* address);
  uint16_t admin_port() const { return admin_port_; }
  uint16_t health_port() const { return health_port_; }
  void run();
  void post_shutdown();  // thread-safe
  void post_drain();     // thread-safe: stop accepting, keep running

  // For connections: the response to one request on the admin or health port.
  void respond(bool health, std::string_view method, std::string_view path, int& status, std::string& body,
               std::string& content_type);
  void forget(AdminConn* conn);
  // Answers /clusters on `conn` once every worker has sent its snapshot.
  void clusters(AdminConn* conn);
  net::BufferPool& buffers() { return buffers_; }
  uv_loop_t* loop() { return loop_.get(); }

 private:
  static void on_connection(uv_stream_t* listener, int status) noexcept;
  static void on_signal(uv_signal_t* s, int signum) noexcept;
  static void on_tick(uv_timer_t* t) noexcept;
  void reload(const char* why);
  void start_drain(bool exit_after);
  void finish();
  void close_handles();

  Proxy& proxy_;
  net::Loop loop_;
  net::BufferPool buffers_{8};
  uv_tcp_t admin_{}, health_{};
  bool admin_open_ = false, health_open_ = false;
  uint16_t admin_port_ = 0, health_port_ = 0;
  uv_signal_t sigterm_{}, sigint_{}, sighup_{};
  bool signals_open_ = false;
  uv_timer_t tick_{};
  bool exiting_ = false;
  uint64_t deadline_ms_ = 0;
  std::vector<AdminConn*> conns_;
  uint64_t conn_serial_ = 0;
  std::unique_ptr<ConfigWatch> watch_;  // reload on file change
};

}  // namespace mesh::proxy
