// One HTTP/1.1 connection to an upstream endpoint, and the per-endpoint pool of
// idle keep-alive ones. A connection serves one request at a time for the stream
// attached to it; idle pooled connections keep reading so a close by the upstream
// is noticed and the connection dropped before anyone reuses it.
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/net/http1.h"
#include "core/net/tcp.h"
#include "core/policy/circuit_breaker.h"

namespace mesh::proxy {

class Worker;
class Upstream;

enum class UpstreamError { kConnectFailed, kConnectTimeout, kReset, kProtocol, kTimeout };

// The stream currently using an upstream connection.
class UpstreamUser {
 public:
  virtual int on_upstream_head(const net::Http1Head& head) = 0;  // 1: no body (HEAD)
  virtual void on_upstream_body(const char* data, size_t len) = 0;
  virtual void on_upstream_complete() = 0;
  virtual void on_upstream_error(UpstreamError error) = 0;
  virtual void on_upstream_drained() = 0;  // queued request bytes fell below the low mark
  // Bracket the parsing of one read so the user can send what it produces at once.
  virtual void on_upstream_read_begin() = 0;
  virtual void on_upstream_read_end() = 0;

 protected:
  ~UpstreamUser() = default;
};

// Per endpoint counters for /clusters (Envoy's names). Written and read only on
// the owning worker's thread; the admin side collects them through post().
struct EndpointCounters {
  uint64_t cx_active = 0, cx_total = 0, cx_connect_fail = 0;
  uint64_t rq_active = 0, rq_total = 0, rq_error = 0, rq_timeout = 0;
};

// One endpoint as a worker saw it, for /clusters.
struct EndpointSnapshot {
  EndpointCounters counters;
  bool ejected = false;
  uint32_t times_ejected = 0;
};

// Idle connections to one endpoint of one cluster. Lives as long as its worker,
// across config changes, so connections and counters outlive a config swap.
struct EndpointPool {
  sockaddr_storage address{};
  bool address_ok = false;
  uint64_t connect_timeout_ms = 10000;
  uint64_t idle_timeout_ms = 3600 * 1000;
  // The cluster's connection-pool limits (connections, requests per connection).
  policy::CircuitBreaker* breaker = nullptr;
  std::vector<Upstream*> idle;
  EndpointCounters counters;
};

class Upstream final : net::Http1Handler {
 public:
  static constexpr size_t kHighWater = 256 * 1024;
  static constexpr size_t kLowWater = 64 * 1024;

  // A pooled idle connection or a new one (connecting; writes queue meanwhile);
  // nullptr when a new one would exceed the cluster's tcp.maxConnections.
  static Upstream* acquire(Worker& worker, EndpointPool& pool, UpstreamUser* user, bool* reused);
  // True when acquire() would succeed now.
  static bool available(const EndpointPool& pool);

  bool write(const uv_buf_t* bufs, unsigned n);
  size_t queued() const { return writer_.queued(); }
  void pause_reading();
  void resume_reading();
  // The response is complete: back to the pool when reusable, closed otherwise.
  void release(bool reusable);
  // Abandons the request: the connection is closed and the user forgotten.
  void abort();

 private:
  enum class State { kConnecting, kBusy, kIdle, kClosing };
  Upstream(Worker& worker, EndpointPool& pool);
  ~Upstream();
  void start_connect();
  void fail(UpstreamError error);
  void close();
  void start_reading();
  void on_closed();
  void handle_parse(net::ParseStatus st);
  int on_head(const net::Http1Head& head) override;
  void on_body(const char* data, size_t len) override;
  void on_message_complete() override;

  static void on_connect(uv_connect_t* req, int status) noexcept;
  static void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept;
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) noexcept;
  static void on_timer(uv_timer_t* t) noexcept;
  static void on_write_done(void* self, int status);
  static void on_handle_closed(uv_handle_t* h) noexcept;

  Worker& worker_;
  EndpointPool& pool_;
  UpstreamUser* user_ = nullptr;
  State state_ = State::kConnecting;
  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  uv_connect_t connect_req_{};
  net::Http1Reader reader_;
  net::Writer writer_;
  int open_handles_ = 0;
  bool reading_ = false;
  bool read_paused_ = false;
  bool informational_ = false;  // a 1xx before the real response: dropped
  bool keep_alive_ = true;
  bool connect_failed_early_ = false;
  bool write_failed_ = false;
  bool idle_timer_armed_ = false;
  bool holds_slot_ = false;  // counted against the cluster's maxConnections
  uint32_t served_ = 0;      // requests completed, for maxRequestsPerConnection
  uint64_t idle_deadline_ms_ = 0;
};

}  // namespace mesh::proxy
