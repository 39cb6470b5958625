// A plain TCP relay: the captured client connection on one side, a connection
// to a chosen address on the other, bytes carried by a net::TcpPipe (both
// ways, back-pressure, half-close). Serves Envoy's PassthroughCluster and
// InboundPassthroughCluster, TCP service listeners and inbound TCP clusters;
// adds the connect (optional source address, timeout), the worker's buffer
// pool and the listener's TCP stats.
#pragma once

#include <uv.h>

#include <cstdint>

#include "core/net/tcp_pipe.h"

namespace mesh::proxy {

class Worker;
class CaptureSet;
struct CaptureStats;

class TcpRelay final : net::TcpPipe::Owner {
 public:
  // Takes ownership of `client_fd` (an accepted, non-blocking socket). `source`
  // (optional) is bound before connecting, e.g. 127.0.0.6 for inbound delivery.
  static void start(Worker& worker, CaptureSet& set, uv_os_sock_t client_fd, const sockaddr_storage& to,
                    const sockaddr_storage* source);
  void close();

 private:
  TcpRelay(Worker& worker, CaptureSet& set);
  ~TcpRelay();
  bool connect(uv_os_sock_t client_fd, const sockaddr_storage& to, const sockaddr_storage* source);
  void closed_one();

  uv_buf_t lend_buffer() override;
  void return_buffer(char* base) override;
  void on_bytes(bool from_client, size_t n) override;
  void on_pipe_closed() override { closed_one(); }

  static void on_connect(uv_connect_t* req, int status) noexcept;
  static void on_timer(uv_timer_t* t) noexcept;

  Worker& worker_;
  CaptureSet& set_;
  net::TcpPipe pipe_;
  uv_timer_t timer_{};
  uv_connect_t connect_req_{};
  int open_parts_ = 2;  // the pipe and the timer
  bool connected_ = false;
  bool closing_ = false;
};

}  // namespace mesh::proxy
