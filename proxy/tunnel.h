// Upgrade (WebSocket) tunnels. The upgrade request goes to the upstream on a
// connection of its own with its Upgrade header kept; a 101 answer is passed to
// the client and from then on bytes are spliced both ways until either side
// closes, each direction stopping its reader while the other side's write queue
// is over the high-water mark. Any other answer is passed on as a normal
// response, after which the client connection closes. A tunnel holds one of
// its cluster's connections and one active request (connectionPool limits)
// for its whole life, and ends when no byte moved either way for the idle
// timeout (the cluster's http.idleTimeout, else the proxy's --idle-timeout).
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/net/http1.h"
#include "core/net/tcp.h"
#include "core/policy/circuit_breaker.h"
#include "proxy/upstream.h"

namespace mesh::proxy {

class Worker;

// The client side of a tunnel (the Downstream).
class TunnelPeer {
 public:
  virtual net::Writer& tunnel_client_writer() = 0;
  virtual void tunnel_pause_client(bool pause) = 0;
  virtual void tunnel_response(int status) = 0;  // the upstream's answer began
  virtual void tunnel_ended() = 0;               // the upstream side is done: close after flushing

 protected:
  ~TunnelPeer() = default;
};

class Tunnel final : net::Http1Handler {
 public:
  static constexpr size_t kHighWater = 256 * 1024;
  static constexpr size_t kLowWater = 64 * 1024;

  // The pool slots a tunnel holds until it closes.
  struct Slots {
    policy::ResourceGuard connection, request;
  };
  // Connects to `pool`'s endpoint and sends `request_head`.
  static Tunnel* open(Worker& worker, const EndpointPool& pool, Slots slots, TunnelPeer& peer,
                      std::string_view request_head);
  // Client bytes after its upgrade request, forwarded as they are.
  uv_buf_t client_buffer();
  void from_client(const char* data, size_t len);
  void client_drained();  // the client's write queue fell below the low mark
  // The client side is going away: flush what it sent, then close.
  void detach();

 private:
  enum class Mode { kHead, kSplice, kPassResponse, kDone };
  explicit Tunnel(Worker& worker, TunnelPeer& peer);
  ~Tunnel();
  int on_head(const net::Http1Head& head) override;
  void on_body(const char* data, size_t len) override;
  void on_message_complete() override;
  void on_upstream_bytes(size_t n);
  void end();
  void close();
  void start_reading();
  void touch();  // traffic moved: the idle timeout starts over
  static void on_idle_timer(uv_timer_t* t) noexcept;
  static void on_connect(uv_connect_t* req, int status) noexcept;
  static void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept;
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) noexcept;
  static void on_write_done(void* self, int status);
  static void on_closed(uv_handle_t* h) noexcept;

  Worker& worker_;
  TunnelPeer* peer_;
  uv_tcp_t tcp_{};
  uv_timer_t idle_timer_{};
  uv_connect_t connect_req_{};
  Slots slots_;
  uint64_t idle_timeout_ms_ = 0;
  uint64_t last_active_ms_ = 0;
  int open_handles_ = 0;
  net::Http1Reader reader_;
  net::Writer writer_;
  std::unique_ptr<char[]> from_upstream_, from_client_;  // splice buffers
  Mode mode_ = Mode::kHead;
  bool chunked_response_ = false;
  bool reading_ = false;
  bool paused_ = false;
  bool client_paused_ = false;
  bool closing_ = false;
  bool close_when_flushed_ = false;
};

// The upgrade request head as sent upstream: the proxy's usual head with the
// Upgrade header and "connection: upgrade" put back.
void add_upgrade_headers(const net::Http1Head& head, std::string& out);

}  // namespace mesh::proxy
