// A plain TCP relay: the captured client connection on one side, a connection
// to a chosen address on the other, bytes copied both ways with back-pressure
// and half-close carried across. Serves Envoy's PassthroughCluster and
// InboundPassthroughCluster, TCP service listeners and inbound TCP clusters.
#pragma once

#include <uv.h>

#include <cstdint>

#include "core/net/tcp.h"

namespace mesh::proxy {

class Worker;
class CaptureSet;
struct CaptureStats;

class TcpRelay {
 public:
  static constexpr size_t kHighWater = 256 * 1024;
  static constexpr size_t kLowWater = 64 * 1024;

  // Takes ownership of `client_fd` (an accepted, non-blocking socket). `source`
  // (optional) is bound before connecting, e.g. 127.0.0.6 for inbound delivery.
  static void start(Worker& worker, CaptureSet& set, uv_os_sock_t client_fd, const sockaddr_storage& to,
                    const sockaddr_storage* source);
  void close();

 private:
  // One connection: its handle, the bytes queued towards it, and how its
  // reading half ended.
  struct Side {
    explicit Side(TcpRelay* owner);
    TcpRelay* relay;
    uv_tcp_t tcp{};
    net::Writer writer;
    uv_shutdown_t shutdown_req{};
    bool reading = false;
    bool paused = false;    // stopped because the other side's queue is full
    bool eof = false;       // we read EOF from this side
    bool shut = false;      // we shut down writing towards this side
    char* block = nullptr;  // the read block lent by the pool during a read
  };

  TcpRelay(Worker& worker, CaptureSet& set);
  ~TcpRelay();
  bool connect(uv_os_sock_t client_fd, const sockaddr_storage& to, const sockaddr_storage* source);
  Side& other(Side& s) { return &s == &client_ ? upstream_ : client_; }
  void start_reading(Side& s);
  void stop_reading(Side& s);
  void on_data(Side& from, ssize_t n);
  void maybe_shutdown(Side& towards);
  void maybe_finish();

  static void on_connect(uv_connect_t* req, int status) noexcept;
  static void on_timer(uv_timer_t* t) noexcept;
  static void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept;
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) noexcept;
  static void on_write_done(void* side, int status);
  static void on_shutdown(uv_shutdown_t* req, int status) noexcept;
  static void on_handle_closed(uv_handle_t* h) noexcept;

  Worker& worker_;
  CaptureSet& set_;
  Side client_;
  Side upstream_;
  uv_timer_t timer_{};
  uv_connect_t connect_req_{};
  int open_handles_ = 0;
  bool connected_ = false;
  bool closing_ = false;
};

}  // namespace mesh::proxy
