// Transparent capture (sidecars): the listeners iptables REDIRECTs a pod's
// traffic to, 15001 for outbound and 15006 for inbound. Each worker has its
// own pair (SO_REUSEPORT). A connection's original destination (SO_ORIGINAL_DST)
// picks its handling (capture_route.h): the HTTP router, a TCP relay to a
// cluster, the passthrough relay, or a refusal.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/net/tcp.h"
#include "proxy/capture_route.h"
#include "proxy/stats.h"

namespace mesh::proxy {

class Worker;
class TcpRelay;

enum class CaptureDirection { kOutbound, kInbound };

// Envoy-style names, so `curl :15000/stats | grep virtualOutbound` works.
#define MESH_CAPTURE_COUNTERS(X)                                                     \
  X(outbound_cx_total, "listener.virtualOutbound.downstream_cx_total")               \
  X(outbound_http_cx, "listener.virtualOutbound.http_cx_total")                      \
  X(outbound_tcp_cx, "listener.virtualOutbound.tcp_cx_total")                        \
  X(outbound_no_original_dst, "listener.virtualOutbound.no_original_dst")            \
  X(passthrough_cx, "cluster.PassthroughCluster.upstream_cx_total")                  \
  X(blackhole_cx, "cluster.BlackHoleCluster.upstream_cx_total")                      \
  X(inbound_cx_total, "listener.virtualInbound.downstream_cx_total")                 \
  X(inbound_cluster_cx, "listener.virtualInbound.inbound_cluster_cx_total")          \
  X(inbound_no_original_dst, "listener.virtualInbound.no_original_dst")              \
  X(inbound_passthrough_cx, "cluster.InboundPassthroughCluster.upstream_cx_total")   \
  X(config_tcp_cx, "listener.tcp.downstream_cx_total")                               \
  X(tcp_cx_active, "tcp.downstream_cx_active")                                       \
  X(tcp_cx_connect_fail, "tcp.upstream_cx_connect_fail")                             \
  X(tcp_cx_bind_fail, "tcp.upstream_cx_bind_fail")                                   \
  X(tcp_cx_no_endpoint, "tcp.upstream_cx_none_healthy")                              \
  X(tcp_bytes_sent, "tcp.upstream_cx_tx_bytes_total")                                \
  X(tcp_bytes_received, "tcp.upstream_cx_rx_bytes_total")

struct CaptureStats {
#define MESH_CAPTURE_FIELD(field, name) Counter field;
  MESH_CAPTURE_COUNTERS(MESH_CAPTURE_FIELD)
#undef MESH_CAPTURE_FIELD
};

// "name: value" lines summed over the workers' stats.
std::string capture_stats_text(const std::vector<const CaptureStats*>& per_worker);
std::string capture_prometheus_text(const std::vector<const CaptureStats*>& per_worker);

// The destination the client meant before iptables redirected it: false when
// the connection was not redirected (a direct connect to the capture port).
bool original_destination(int fd, sockaddr_storage& out);

class CaptureSet {
 public:
  explicit CaptureSet(Worker& worker);
  ~CaptureSet();
  CaptureSet(const CaptureSet&) = delete;
  CaptureSet& operator=(const CaptureSet&) = delete;

  // Binds (SO_REUSEPORT) and starts accepting. Returns a libuv error code.
  int listen(CaptureDirection direction, const sockaddr* address);
  // A config TCP listener (listeners.h): accepts on `fd` (owned from now on)
  // and relays each connection to an endpoint of a cluster `target` picks.
  void add_tcp_listener(uint64_t id, int fd, TcpTarget target);
  void retarget_tcp_listener(uint64_t id, TcpTarget target);  // for new connections
  void remove_tcp_listener(uint64_t id);  // relays it started carry on
  uint16_t port(CaptureDirection direction) const;  // thread-safe once the worker runs
  void close_listeners();
  void close_all();  // listeners and every relay
  bool empty() const { return relays_.empty(); }
  CaptureStats& stats() { return stats_; }
  const CaptureStats& stats() const { return stats_; }

  void add(TcpRelay* relay) { relays_.push_back(relay); }
  void remove(TcpRelay* relay);

 private:
  struct Listener;
  static void on_readable(uv_poll_t* poll, int status, int events) noexcept;
  void accept_all(Listener& l);
  void start_listener(std::unique_ptr<Listener> l);
  void close_listener(Listener& l);
  void dispatch(CaptureDirection direction, int fd);
  void dispatch_outbound(int fd, const sockaddr_storage& dst);
  void dispatch_inbound(int fd, const sockaddr_storage& dst);
  void relay_to_cluster(int fd, const std::string& cluster, const sockaddr_storage* source);

  Worker& worker_;
  CaptureStats stats_;
  std::vector<std::unique_ptr<Listener>> listeners_;  // this worker's thread only
  // Set before the worker starts; other threads read them.
  uint16_t outbound_port_ = 0;
  uint16_t inbound_port_ = 0;
  std::vector<TcpRelay*> relays_;
};

}  // namespace mesh::proxy
