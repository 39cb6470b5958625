// A worker thread: its own uv loop, its own SO_REUSEPORT listener, read-buffer pool,
// upstream connection pools and counters. Everything here is touched only by the
// worker's thread, except through post() (config swaps, drain, stop).
#pragma once

#include <atomic>
#include <functional>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/net/buffer_pool.h"
#include "core/net/loop.h"
#include "core/policy/hash.h"
#include "core/proxyconfig/proxy_config.h"
#include "proxy/access_log.h"
#include "proxy/capture.h"
#include "proxy/cluster_state.h"
#include "proxy/stats.h"
#include "proxy/upstream.h"

namespace mesh::proxy {

class Downstream;
class Shadow;

struct WorkerSettings {
  std::string route_table;  // the listener's route table; "" = the config's first
  uint32_t listener_port = 0;
  uint64_t request_header_timeout_ms = 10'000;
  uint64_t idle_timeout_ms = 3'600'000;
  uint64_t connect_timeout_ms = 10'000;
  int access_log_fd = -1;
};

class Worker {
 public:
  Worker(int index, WorkerSettings settings, std::shared_ptr<const pc::ProxyConfig> config);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Called before start(), from the owning thread. Returns a libuv error code.
  int listen(const sockaddr* address);
  uint16_t port() const { return port_; }
  void start();
  void join();
  bool finished() const { return finished_.load(); }
  // Thread-safe.
  void set_config(std::shared_ptr<const pc::ProxyConfig> config);
  void drain();  // stop accepting; close idle connections; stop when none remain
  void stop();   // close everything now

  uv_loop_t* loop() { return loop_.get(); }
  net::BufferPool& buffers() { return buffers_; }
  WorkerStats& stats() { return stats_; }
  const WorkerSettings& settings() const { return settings_; }
  const std::shared_ptr<const pc::ProxyConfig>& config() const { return config_; }
  const pc::RouteTable* route_table() const { return route_table_; }
  bool draining() const { return draining_; }
  ClusterState* cluster(std::string_view name);
  uint64_t random();
  policy::Random& policy_random() { return policy_random_; }
  std::string& scratch() { return scratch_; }
  AccessLogWriter* access_log() { return access_log_.get(); }  // nullptr: logging off
  // Pooled strings for the bytes of requests that may be replayed (retries,
  // requests queued for a connection): no allocation once the pool is warm.
  void take_buffer(std::string& out);
  void give_buffer(std::string& buffer);

  // Requests queued for a connection of a cluster. kick_waiters() (a connection
  // went idle or closed) serves them from the loop, never from inside the caller.
  void wait_for_connection(ClusterState& cluster, Downstream* d);
  void stop_waiting(ClusterState& cluster, Downstream* d);
  void kick_waiters();
  // Thread-safe: runs fn on this worker's thread.
  void post(std::function<void()> fn) { loop_.post(std::move(fn)); }
  // On this worker's thread: every endpoint it has used, keyed
  // "cluster|address|port", with counters and outlier state (for /clusters).
  // The pool for a PASSTHROUGH cluster's original destination (created on first use).
  EndpointPool* original_destination_pool(ClusterState& cluster, const sockaddr_storage& address);
  void snapshot_endpoints(std::unordered_map<std::string, EndpointSnapshot>& out) const;

  void add(Downstream* d);
  void remove(Downstream* d);
  // Mirrored requests outlive their downstream; stop() and drain abort them.
  void add_shadow(Shadow* s) { shadows_.push_back(s); }
  void remove_shadow(Shadow* s);

  // Capture listeners (sidecars, capture.h). Called before start().
  int listen_capture(CaptureDirection direction, const sockaddr* address);
  // Config TCP listeners relay through the capture set: it must exist before
  // start(), so that other threads can read capture() without a race.
  void enable_tcp_listeners();
  const CaptureSet* capture() const { return capture_.get(); }
  void on_capture_closed() { maybe_finish(); }  // a relay went away

  // Config listeners (listeners.h). Thread-safe: each runs on this worker's
  // thread, in the order posted. `fd` is a listening socket the worker now owns;
  // `port` is the config's port, which routing sees.
  void add_config_listener(uint64_t id, int fd, std::string route_table, uint32_t port);
  // Stops accepting on it; connections it accepted carry on.
  void remove_config_listener(uint64_t id);
  void retable_config_listener(uint64_t id, std::string route_table);
  // TCP config listeners: accepted connections are relayed (capture.h).
  void add_tcp_config_listener(uint64_t id, int fd, TcpTarget target);
  void remove_tcp_config_listener(uint64_t id);
  void retarget_tcp_config_listener(uint64_t id, TcpTarget target);

 private:
  static void on_connection(uv_stream_t* listener, int status) noexcept;
  static void on_kick(uv_timer_t* t) noexcept;
  struct ConfigListener;
  static void on_config_connection(uv_stream_t* listener, int status) noexcept;
  void close_config_listener(ConfigListener* l);
  void apply_config(std::shared_ptr<const pc::ProxyConfig> config);
  void close_listener();
  void maybe_finish();
  EndpointPool* endpoint_pool(const pc::Cluster& cluster, const pc::Endpoint& endpoint);

  int index_;
  WorkerSettings settings_;
  net::Loop loop_;
  net::BufferPool buffers_;
  WorkerStats stats_;
  uv_tcp_t listener_{};
  bool listening_ = false;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> finished_{false};
  std::shared_ptr<const pc::ProxyConfig> config_;
  const pc::RouteTable* route_table_ = nullptr;
  std::unordered_map<std::string_view, const pc::Cluster*> clusters_;  // views into config_
  std::unordered_map<std::string, std::unique_ptr<ClusterState>> states_;
  uint64_t generation_ = 0;  // bumped per config; states refresh lazily
  std::unordered_map<std::string, std::unique_ptr<EndpointPool>> pools_;
  std::vector<std::string> buffers_free_;
  uv_timer_t kick_timer_{};
  bool kick_armed_ = false;
  size_t waiting_ = 0;
  std::vector<Downstream*> downstreams_;
  std::vector<Shadow*> shadows_;
  std::unique_ptr<CaptureSet> capture_;
  std::vector<ConfigListener*> config_listeners_;  // each freed by its close callback
  bool draining_ = false;
  bool stopping_ = false;
  uint64_t rng_;
  policy::Random policy_random_;
  std::string scratch_;
  std::unique_ptr<AccessLogWriter> access_log_;
};

}  // namespace mesh::proxy
