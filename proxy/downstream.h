// A client connection and the one request on it being served at a time. Pipelined
// requests wait, still unparsed, in the read block, so responses leave in order.
// Bodies stream both ways; each side stops reading while the other side has more
// than kHighWater bytes queued (bounded memory whatever the peers' speeds).
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/net/http1.h"
#include "core/net/tcp.h"
#include "proxy/access_log.h"
#include "proxy/filters.h"
#include "proxy/forward.h"
#include "proxy/headers.h"
#include "proxy/mirror.h"
#include "proxy/router.h"
#include "proxy/tunnel.h"
#include "proxy/upstream.h"

namespace mesh::proxy {

class Worker;

class Downstream final : net::Http1Handler, UpstreamUser, TunnelPeer {
 public:
  static constexpr size_t kHighWater = 256 * 1024;
  static constexpr size_t kLowWater = 64 * 1024;

  // A config listener (listeners.h) passes its route table and config port;
  // the --listen listener leaves them to the worker's settings.
  static void accept(Worker& worker, uv_stream_t* listener, std::string route_table = {}, uint32_t port = 0);
  // A socket the capture listener accepted (capture.h): served with
  // `route_table` as if it had arrived on a listener for `port`.
  static void adopt(Worker& worker, uv_os_sock_t fd, std::string route_table, uint32_t port);
  // No request in progress: safe to close when draining.
  bool idle() const { return !active_ && !reader_.mid_message(); }
  void close();
  // The proxy gives up on the connection (the drain period is over): a request
  // still in flight is logged with Envoy's LR (local reset).
  void reset_locally();
  // A request queued for a connection (tcp.maxConnections): can it go now, and go.
  static bool can_resume(const Downstream& d);
  void resume_forward();

 private:
  enum class TimerMode { kOff, kIdle, kHeaders, kRoute, kFaultDelay };
  explicit Downstream(Worker& worker);
  ~Downstream();
  static Downstream* create(Worker& worker);
  void serve();
  const pc::RouteTable* route_table() const;

  // Reading and parsing.
  static void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept;
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) noexcept;
  void start_reading();
  void stop_reading();
  void process(net::ParseStatus st);
  bool handle_status(net::ParseStatus st);
  void on_peer_closed();
  int on_head(const net::Http1Head& head) override;
  void on_body(const char* data, size_t len) override;
  void on_message_complete() override;

  // Route filters (downstream_filters.cc): fault, CORS, redirect, rewrite.
  bool filter_request(const net::Http1Head& head, const RouteDecision& decision);
  bool filter_route(const net::Http1Head& head);
  void after_fault_delay();
  bool hold_body(const char* data, size_t len);
  void release_held_body();
  void start_mirrors(const net::Http1Head& head, const pc::ForwardAction& forward,
                     const std::string& request);
  void mirror_body(const char* data, size_t len);
  void flag(ResponseFlag f);
  // Upgrade tunnels (downstream_tunnel.cc).
  void start_tunnel(const net::Http1Head& head, const pc::WeightedCluster& destination);
  void enter_tunnel();
  void tunnel_read(ssize_t n);
  net::Writer& tunnel_client_writer() override { return writer_; }
  void tunnel_pause_client(bool pause) override;
  void tunnel_response(int status) override;
  void tunnel_ended() override;
  void log_begin(const net::Http1Head& head);
  void log_request_id(const std::string& request);
  void log_upstream_host(const EndpointPool& pool);
  void log_end();

  // Forwarding: attempts, retries, queueing (forward.cc).
  void begin_stream(const net::Http1Head& head);
  void dispatch(const net::Http1Head& head, const pc::WeightedCluster* destination);
  void forward(const net::Http1Head& head, const pc::Route& route, const pc::WeightedCluster& destination);
  void hash_request(const net::Http1Head& head, const model::ConsistentHashLB& config);
  void start_attempt();
  bool pick_original_destination();
  void queue_for_connection();
  void attach(Upstream* up);
  void report_outcome(uint32_t status, std::optional<policy::LocalFailure> failure);
  void close_attempt();
  bool retry_attempt(const policy::AttemptOutcome& outcome);
  void keep_request_bytes(const uv_buf_t* bufs, unsigned n);
  void arm_forward_timer();
  void on_forward_deadline();
  void per_try_timeout();
  void route_timeout();
  void upstream_failure_reply(UpstreamError error);
  void overflow_reply();
  void end_forward();
  void write_body(bool chunked, const char* data, size_t len, bool to_upstream);
  int on_upstream_head(const net::Http1Head& head) override;
  void on_upstream_body(const char* data, size_t len) override;
  void on_upstream_complete() override;
  bool discard_rest_of_request();
  void on_upstream_error(UpstreamError error) override;
  void on_upstream_drained() override;
  void on_upstream_read_begin() override { writer_.cork(); }
  void on_upstream_read_end() override;

  // Ending.
  void local_reply(int status, std::string_view body, bool close, std::string_view extra_headers = {});
  void count_status(int status);
  void finish_stream();
  void close_after_flush();
  void set_timer(TimerMode mode, uint64_t ms);
  static void on_timer(uv_timer_t* t) noexcept;
  static void on_write_done(void* self, int status);
  static void on_handle_closed(uv_handle_t* h) noexcept;

  Worker& worker_;
  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  net::Http1Reader reader_;
  net::Writer writer_;
  std::string peer_ip_;
  std::string route_table_name_;  // captured connections: their port's table
  uint32_t listener_port_ = 0;    // captured connections: the original port
  int open_handles_ = 0;
  TimerMode timer_mode_ = TimerMode::kOff;
  uint64_t deadline_ms_ = 0;  // when the current mode's timeout expires
  uint64_t armed_ms_ = 0;     // when the uv timer fires
  bool timer_armed_ = false;
  bool closing_ = false;
  bool close_after_flush_ = false;
  bool reading_ = false;
  bool read_blocked_ = false;  // stopped: upstream write queue over the high mark
  bool read_full_ = false;     // stopped: the read block is full behind a paused parser
  bool in_process_ = false;
  bool next_pending_ = false;

  // The current request.
  std::shared_ptr<const pc::ProxyConfig> config_;  // kept alive for the request's life
  const pc::Route* route_ = nullptr;
  const pc::WeightedCluster* destination_ = nullptr;
  Upstream* up_ = nullptr;
  ForwardState fwd_;
  uint64_t upstream_sent_ms_ = 0;
  Framing request_framing_ = Framing::kNone;
  Framing response_framing_ = Framing::kNone;
  bool active_ = false;
  bool request_complete_ = false;
  bool response_started_ = false;
  bool response_complete_ = false;
  bool local_ = false;
  bool keep_alive_ = true;
  bool http10_ = false;
  bool head_request_ = false;
  bool expect_continue_ = false;
  bool upstream_paused_ = false;
  bool discarding_ = false;  // the response is done; the rest of the request body is dropped
  FilterState filters_;
  std::unique_ptr<RequestLog> log_;   // set while access logging is on
  std::unique_ptr<Mirrors> mirrors_;  // set once a route mirrors
  Tunnel* tunnel_ = nullptr;          // an upgrade request's upstream side
  bool tunnelling_ = false;           // the client's bytes go to tunnel_ unparsed
};

}  // namespace mesh::proxy
