#include "proxy/proxy.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "core/net/tcp.h"
#include "proxy/admin.h"
#include "proxy/listeners.h"
#include "proxy/worker.h"

namespace mesh::proxy {

Proxy::Proxy(ProxyOptions options) : options_(std::move(options)) {}

Proxy::~Proxy() {
  if (started_ && !workers_.empty()) {
    for (auto& w : workers_) {
      if (!w->finished()) w->stop();
    }
  }
  workers_.clear();  // joins, closes each loop (and flushes their access logs)
  admin_.reset();
  if (access_log_fd_ > 2) ::close(access_log_fd_);
}

namespace {

bool resolve(const std::string& host, int port, sockaddr_storage& out, std::string& error) {
  if (net::make_address(host, static_cast<uint16_t>(port), out) != 0) {
    error = "not an IP address: " + host;
    return false;
  }
  return true;
}

}  // namespace

// One socket per worker and address (SO_REUSEPORT); port 0 is resolved by the
// first worker and reused by the others.
struct Proxy::Binding {
  std::string text;
  sockaddr_storage addr{};
  int kind = 0;  // 0: HTTP listener, 1: outbound capture, 2: inbound capture
};

bool Proxy::bind_workers(std::shared_ptr<const pc::ProxyConfig> config, std::string& error) {
  std::vector<Binding> bindings;
  const std::string* texts[] = {&options_.listen, &options_.outbound_capture, &options_.inbound_capture};
  for (int kind = 0; kind < 3; ++kind) {
    if (texts[kind]->empty() || (kind == 0 && config_listeners())) continue;
    Binding b{*texts[kind], {}, kind};
    std::string host;
    uint16_t port = 0;
    if (!net::parse_host_port(b.text, host, port) || !resolve(host, port, b.addr, error)) {
      if (error.empty()) error = "listener address wants ADDR:PORT, got '" + b.text + "'";
      return false;
    }
    bindings.push_back(b);
  }
  int n = options_.concurrency > 0 ? options_.concurrency : 1;
  for (int i = 0; i < n; ++i) {
    WorkerSettings s;
    s.route_table = options_.route_table;
    s.request_header_timeout_ms = options_.request_header_timeout_ms;
    s.idle_timeout_ms = options_.idle_timeout_ms;
    s.connect_timeout_ms = options_.connect_timeout_ms;
    s.access_log_fd = access_log_fd_;
    auto w = std::make_unique<Worker>(i, s, config);
    Worker& worker = *w;
    workers_.push_back(std::move(w));
    if (config_listeners()) worker.enable_tcp_listeners();
    for (Binding& b : bindings) {
      const auto* addr = reinterpret_cast<const sockaddr*>(&b.addr);
      const CaptureDirection direction =
          b.kind == 1 ? CaptureDirection::kOutbound : CaptureDirection::kInbound;
      int rc = b.kind == 0 ? worker.listen(addr) : worker.listen_capture(direction, addr);
      if (rc != 0) {
        error = "listen on " + b.text + ": " + uv_strerror(rc);
        return false;
      }
      uint16_t port = b.kind == 0 ? worker.port() : worker.capture()->port(direction);
      reinterpret_cast<sockaddr_in*>(&b.addr)->sin_port = htons(port);  // same offset in sockaddr_in6
      if (b.kind == 0) port_ = port;
    }
  }
  return true;
}

bool Proxy::start(std::shared_ptr<const pc::ProxyConfig> config, std::string& error) {
  // A peer that resets while we write must cost an EPIPE, not the process (as in Envoy).
  signal(SIGPIPE, SIG_IGN);
  {
    std::lock_guard<std::mutex> lock(config_mu_);
    config_ = config;
  }
  if (!check_listen_options(error) || !open_access_log(error) || !bind_workers(config, error)) return false;
  if (config_listeners()) {
    // Posted before the workers run: they start with the config's listeners.
    listeners_ = std::make_unique<ListenerSet>(options_.ephemeral_listeners);
    if (config) listeners_->open_added(listeners_->close_removed(*config, worker_list()), worker_list());
    port_ = first_bound_port();
  }
  sockaddr_storage addr{};
  admin_ = std::make_unique<Admin>(*this);
  for (bool health : {false, true}) {
    int p = health ? options_.health_port : options_.admin_port;
    if (p < 0) continue;
    const std::string& a = health ? options_.health_address : options_.admin_address;
    if (!resolve(a, p, addr, error)) return false;
    int rc = admin_->listen(health, reinterpret_cast<const sockaddr*>(&addr));
    if (rc != 0) {
      error = std::string(health ? "health" : "admin") + " listen on " + a + ":" + std::to_string(p) + ": " +
              uv_strerror(rc);
      return false;
    }
  }
  for (auto& w : workers_) w->start();
  started_ = true;
  write_ready_file("ready");
  return true;
}

// --listen config follows the config's listeners: capture listeners (sidecars)
// and a fixed route table would leave it unclear what serves which port.
bool Proxy::check_listen_options(std::string& error) const {
  if (!config_listeners()) {
    if (options_.ephemeral_listeners) error = "--ephemeral-listeners goes with --listen config";
    return error.empty();
  }
  if (!options_.outbound_capture.empty() || !options_.inbound_capture.empty())
    error = "--listen config serves a gateway's listeners; it cannot be combined with capture listeners";
  else if (!options_.route_table.empty())
    error = "--route-table does not go with --listen config: each listener has its own route table";
  return error.empty();
}

std::vector<Worker*> Proxy::worker_list() const {
  std::vector<Worker*> out;
  for (const auto& w : workers_) out.push_back(w.get());
  return out;
}

uint16_t Proxy::first_bound_port() const {
  for (const ListenerStatus& s : listeners_->status()) {
    if (s.bound_port != 0) return s.bound_port;
  }
  return 0;
}

// A fixed --listen listener is reported too, under its bound port (the one the
// routes see when --listen asked for port 0).
std::string Proxy::listeners_json() const {
  if (listeners_) return proxy::listeners_json(listeners_->status());
  std::vector<ListenerStatus> out;
  std::string host;
  uint16_t asked = 0;
  if (net::parse_host_port(options_.listen, host, asked))
    out.push_back(ListenerStatus{ListenerSpec{"listen", host, port_, options_.route_table}, port_, ""});
  return proxy::listeners_json(out);
}

bool Proxy::open_access_log(std::string& error) {
  if (options_.access_log.empty()) return true;
  if (options_.access_log == "-") {
    access_log_fd_ = STDOUT_FILENO;
    return true;
  }
  access_log_fd_ = ::open(options_.access_log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (access_log_fd_ < 0) {
    error = "--access-log " + options_.access_log + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

uint16_t Proxy::capture_port(bool outbound) const {
  if (workers_.empty() || workers_.front()->capture() == nullptr) return 0;
  return workers_.front()->capture()->port(outbound ? CaptureDirection::kOutbound
                                                    : CaptureDirection::kInbound);
}

uint16_t Proxy::admin_port() const {
  return admin_ ? admin_->admin_port() : 0;
}
uv_loop_t* Proxy::main_loop() {
  return admin_ ? admin_->loop() : nullptr;
}

uint16_t Proxy::health_port() const {
  return admin_ ? admin_->health_port() : 0;
}

// `why`: "ready" once serving, "listeners" when config listeners changed.
void Proxy::write_ready_file(const char* why) {
  std::string line = "{\"listen\": " + std::to_string(port_) +
                     ", \"admin\": " + std::to_string(admin_port()) +
                     ", \"health\": " + std::to_string(health_port());
  if (listeners_) line += ", \"listeners\": " + listeners_->ready_json();
  line += "}\n";
  std::fprintf(stderr, "mesh proxy: %s %s", why, line.c_str());
  if (options_.ready_file.empty()) return;
  std::string tmp = options_.ready_file + ".tmp";
  {
    std::ofstream f(tmp);
    f << line;
  }
  std::rename(tmp.c_str(), options_.ready_file.c_str());
}

int Proxy::run() {
  if (!started_) return 1;
  admin_->run();
  return 0;
}

void Proxy::shutdown() {
  if (admin_) admin_->post_shutdown();
}

// With config listeners, those that went away stop accepting before the
// workers swap configs and new ones start after (posts run in order): no
// connection meets a config without its listener's route table.
void Proxy::update_config(std::shared_ptr<const pc::ProxyConfig> config) {
  std::lock_guard<std::mutex> sync(listeners_mu_);
  {
    std::lock_guard<std::mutex> lock(config_mu_);
    config_ = config;
  }
  const bool follow = listeners_ && config && !draining_;
  ListenerDiff diff;
  if (follow) diff = listeners_->close_removed(*config, worker_list());
  for (auto& w : workers_) w->set_config(config);
  config_received_ = true;
  if (follow && listeners_->open_added(diff, worker_list())) {
    port_ = first_bound_port();
    write_ready_file("listeners");
  }
}

bool Proxy::reload(std::string& error) {
  if (!reload_) {
    error = "no config source to reload from";
    return false;
  }
  auto config = reload_(error);
  if (!config) return false;
  update_config(std::move(config));
  return true;
}

uint64_t Proxy::counter(const std::string& name) const {
  uint64_t sum = 0;
  for (const auto& w : workers_) {
    const WorkerStats& s = const_cast<Worker&>(*w).stats();
#define MESH_SUM(n) \
  if (name == #n) sum += s.n.get();
    MESH_PROXY_COUNTERS(MESH_SUM)
#undef MESH_SUM
  }
  return sum;
}

std::vector<const CaptureStats*> Proxy::capture_stats() const {
  std::vector<const CaptureStats*> out;
  for (const auto& w : workers_) {
    if (w->capture() != nullptr) out.push_back(&w->capture()->stats());
  }
  return out;
}

std::string Proxy::stats_text() const {
  std::string out;
#define MESH_LINE(n) out += std::string("http.ingress.") + #n + ": " + std::to_string(counter(#n)) + "\n";
  MESH_PROXY_COUNTERS(MESH_LINE)
#undef MESH_LINE
  if (!capture_stats().empty()) out += capture_stats_text(capture_stats());
  return out;
}

std::string Proxy::prometheus_text() const {
  std::string out;
#define MESH_PROM(n) \
  out += std::string("# TYPE mesh_") + #n + " counter\nmesh_" + #n + " " + std::to_string(counter(#n)) + "\n";
  MESH_PROXY_COUNTERS(MESH_PROM)
#undef MESH_PROM
  if (!capture_stats().empty()) out += capture_prometheus_text(capture_stats());
  return out;
}

}  // namespace mesh::proxy
