// `mesh proxy`: a main thread running the admin and health endpoints, signals and
// config reloads, and N workers forwarding HTTP/1.1. Usable in-process (tests) and
// from the command line (run_proxy_command in cmd/proxy.cc).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <uv.h>

#include "core/proxyconfig/proxy_config.h"

namespace mesh::proxy {

struct ProxyOptions {
  // The HTTP listener; "" for none (sidecars); "config" for every HTTP listener
  // of the config, followed across config changes (gateways, listeners.h).
  std::string listen = "127.0.0.1:15001";
  bool ephemeral_listeners = false;  // "config" listeners bind port 0 (tests)
  // Sidecars: where iptables REDIRECTs a pod's traffic ("0.0.0.0:15001" and
  // "0.0.0.0:15006"); "" leaves the capture listener out. See capture.h.
  std::string outbound_capture;
  std::string inbound_capture;
  std::string route_table;                 // "" = the config's first route table
  int concurrency = 2;
  std::string admin_address = "127.0.0.1";
  int admin_port = 15000;  // 0: the kernel picks; < 0: no admin endpoint
  std::string health_address = "0.0.0.0";
  int health_port = 15021;  // 0: the kernel picks; < 0: no health endpoint
  std::string ready_file;   // written with the bound ports once serving
  double drain_seconds = 5;
  uint64_t request_header_timeout_ms = 10'000;
  uint64_t idle_timeout_ms = 3'600'000;
  uint64_t connect_timeout_ms = 10'000;
  bool handle_signals = true;  // SIGTERM/SIGINT drain, SIGHUP reloads
  std::string access_log;      // "": off; "-": stdout; else a file, appended to
  std::vector<std::string> watch_paths;  // config files/directories: reload when they change
  uint64_t watch_debounce_ms = 100;
  // Not ready (/healthz/ready 503) until update_config() has delivered a
  // config: a proxy fed by the control plane starts empty, like Envoy before
  // its first xDS response.
  bool await_config = false;
};

// Builds a fresh config (e.g. from files); returns nullptr and sets `error` on failure.
using ConfigSource = std::function<std::shared_ptr<const pc::ProxyConfig>(std::string& error)>;

class Worker;
class Admin;
class ListenerSet;
struct CaptureStats;

class Proxy {
 public:
  explicit Proxy(ProxyOptions options);
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  // Binds every listener and starts the workers; the admin side runs in run().
  bool start(std::shared_ptr<const pc::ProxyConfig> config, std::string& error);
  // Serves admin/health/signals on the calling thread until shutdown; returns the exit code.
  int run();
  // Thread-safe: drain (up to drain_seconds) and make run() return.
  void shutdown();
  // Thread-safe: every worker picks this config up before its next request.
  void update_config(std::shared_ptr<const pc::ProxyConfig> config);
  void set_reload_source(ConfigSource source) { reload_ = std::move(source); }
  // The main thread's loop (admin, signals, the control-plane client); after start().
  uv_loop_t* main_loop();
  // Runs on the main thread when it shuts down, to close what was added to main_loop().
  void add_shutdown_hook(std::function<void()> hook) { shutdown_hooks_.push_back(std::move(hook)); }

  uint16_t port() const { return port_; }
  bool config_listeners() const { return options_.listen == kListenConfig; }
  std::string listeners_json() const;  // GET /listeners
  static constexpr const char* kListenConfig = "config";
  uint16_t capture_port(bool outbound) const;
  uint16_t admin_port() const;
  uint16_t health_port() const;
  bool draining() const { return draining_.load(); }
  // Serving traffic with a config: not draining and, with await_config, past the first push.
  bool ready() const { return !draining() && (!options_.await_config || config_received_.load()); }
  std::shared_ptr<const pc::ProxyConfig> config() const {
    std::lock_guard<std::mutex> lock(config_mu_);
    return config_;
  }
  std::string stats_text() const;
  std::string prometheus_text() const;
  uint64_t counter(const std::string& name) const;
  // Re-reads the config through the reload source: false (old config kept) on error.
  bool reload(std::string& error);

 private:
  friend class Admin;
  struct Binding;
  void begin_drain();
  bool open_access_log(std::string& error);
  void write_ready_file(const char* why);
  bool check_listen_options(std::string& error) const;
  std::vector<Worker*> worker_list() const;
  uint16_t first_bound_port() const;
  std::vector<const CaptureStats*> capture_stats() const;
  bool bind_workers(std::shared_ptr<const pc::ProxyConfig> config, std::string& error);

  ProxyOptions options_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<Admin> admin_;
  std::unique_ptr<ListenerSet> listeners_;  // with --listen config
  std::mutex listeners_mu_;                 // one config change at a time
  ConfigSource reload_;
  mutable std::mutex config_mu_;  // config_ is read by the admin thread, set by reloads
  std::vector<std::function<void()>> shutdown_hooks_;
  std::shared_ptr<const pc::ProxyConfig> config_;
  std::atomic<uint16_t> port_{0};  // with --listen config: the first bound listener's
  std::atomic<bool> draining_{false};
  std::atomic<bool> config_received_{false};
  bool started_ = false;
  int access_log_fd_ = -1;
};

}  // namespace mesh::proxy
