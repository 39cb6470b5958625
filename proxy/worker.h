// A worker thread: its own uv loop, its own SO_REUSEPORT listener, read-buffer pool,
// upstream connection pools and counters. Everything here is touched only by the
// worker's thread, except through post() (config swaps, drain, stop).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/net/buffer_pool.h"
#include "core/net/loop.h"
#include "core/proxyconfig/proxy_config.h"
#include "proxy/access_log.h"
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

// A cluster as this worker uses it: endpoint pools parallel to cluster.endpoints.
struct ClusterState {
  const pc::Cluster* cluster = nullptr;
  std::vector<EndpointPool*> pools;
  uint64_t next = 0;  // round robin
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
  std::string& scratch() { return scratch_; }
  AccessLogWriter* access_log() { return access_log_.get(); }  // nullptr: logging off

  void add(Downstream* d);
  void remove(Downstream* d);
  // Mirrored requests outlive their downstream; stop() and drain abort them.
  void add_shadow(Shadow* s) { shadows_.push_back(s); }
  void remove_shadow(Shadow* s);

 private:
  static void on_connection(uv_stream_t* listener, int status) noexcept;
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
  std::unordered_map<std::string_view, ClusterState> clusters_;  // views into config_
  std::unordered_map<std::string, std::unique_ptr<EndpointPool>> pools_;
  std::vector<Downstream*> downstreams_;
  std::vector<Shadow*> shadows_;
  bool draining_ = false;
  bool stopping_ = false;
  uint64_t rng_;
  std::string scratch_;
  std::unique_ptr<AccessLogWriter> access_log_;
};

}  // namespace mesh::proxy
