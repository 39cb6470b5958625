#include "proxy/worker.h"

#include <unistd.h>

#include <algorithm>

#include "core/net/tcp.h"
#include "proxy/downstream.h"
#include "proxy/mirror.h"

namespace mesh::proxy {

Worker::Worker(int index, WorkerSettings settings, std::shared_ptr<const pc::ProxyConfig> config)
    : index_(index),
      settings_(std::move(settings)),
      rng_(0x9e3779b97f4a7c15ull * (index + 1) ^ uv_hrtime()),
      policy_random_(rng_ ^ 0x5bd1e995u) {
  apply_config(std::move(config));
  scratch_.reserve(4096);
  uv_timer_init(loop_.get(), &kick_timer_);
  kick_timer_.data = this;
  if (settings_.access_log_fd >= 0)
    access_log_ = std::make_unique<AccessLogWriter>(loop_.get(), settings_.access_log_fd);
}

Worker::~Worker() {
  join();
  close_listener();
  if (access_log_) access_log_->shutdown();
  net::close_handle(reinterpret_cast<uv_handle_t*>(&kick_timer_), nullptr);
  if (capture_) capture_->close_listeners();
  // Idle pooled connections and handles left by stop() are closed by now; the loop
  // closes cleanly only if every handle went through its close callback.
  loop_.close();
}

int Worker::listen(const sockaddr* address) {
  listener_.data = this;
  int rc = net::tcp_listen(loop_.get(), &listener_, address, true, 4096, &Worker::on_connection);
  listening_ = true;
  if (rc == 0) {
    port_ = net::bound_port(&listener_);
    settings_.listener_port = port_;
    apply_config(config_);  // the route table may be named after the port
  }
  return rc;
}

void Worker::enable_tcp_listeners() {
  if (!capture_) capture_ = std::make_unique<CaptureSet>(*this);
}

int Worker::listen_capture(CaptureDirection direction, const sockaddr* address) {
  if (!capture_) capture_ = std::make_unique<CaptureSet>(*this);
  return capture_->listen(direction, address);
}

void Worker::start() {
  thread_ = std::thread([this] {
    loop_.run();
    finished_ = true;
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::on_connection(uv_stream_t* listener, int status) noexcept {
  auto* self = static_cast<Worker*>(listener->data);
  if (status < 0 || self->draining_) return;
  Downstream::accept(*self, listener);
}

struct Worker::ConfigListener {
  Worker* worker = nullptr;
  uint64_t id = 0;
  uv_tcp_t tcp{};
  std::string route_table;
  uint32_t port = 0;
};

void Worker::add_config_listener(uint64_t id, int fd, std::string route_table, uint32_t port) {
  loop_.post([this, id, fd, route_table = std::move(route_table), port]() mutable {
    // A drained worker takes no new listener; the socket must not leak either.
    if (draining_) {
      ::close(fd);
      return;
    }
    auto* l = new ConfigListener{this, id, {}, std::move(route_table), port};
    uv_tcp_init(loop_.get(), &l->tcp);
    l->tcp.data = l;
    config_listeners_.push_back(l);
    auto* stream = reinterpret_cast<uv_stream_t*>(&l->tcp);
    if (uv_tcp_open(&l->tcp, fd) != 0) {
      ::close(fd);
      close_config_listener(l);
      return;
    }
    if (uv_listen(stream, 4096, &Worker::on_config_connection) != 0) close_config_listener(l);
  });
}

void Worker::remove_config_listener(uint64_t id) {
  loop_.post([this, id] {
    for (ConfigListener* l : config_listeners_) {
      if (l->id == id) return close_config_listener(l);
    }
  });
}

void Worker::retable_config_listener(uint64_t id, std::string route_table) {
  loop_.post([this, id, route_table = std::move(route_table)] {
    for (ConfigListener* l : config_listeners_) {
      if (l->id == id) l->route_table = route_table;  // for connections accepted from now on
    }
  });
}

void Worker::add_tcp_config_listener(uint64_t id, int fd, TcpTarget target) {
  loop_.post([this, id, fd, target = std::move(target)]() mutable {
    if (draining_) {
      ::close(fd);
      return;
    }
    if (!capture_) {  // enable_tcp_listeners() was not called
      ::close(fd);
      return;
    }
    capture_->add_tcp_listener(id, fd, std::move(target));
  });
}

void Worker::remove_tcp_config_listener(uint64_t id) {
  loop_.post([this, id] {
    if (capture_) capture_->remove_tcp_listener(id);
  });
}

void Worker::retarget_tcp_config_listener(uint64_t id, TcpTarget target) {
  loop_.post([this, id, target = std::move(target)]() mutable {
    if (capture_) capture_->retarget_tcp_listener(id, std::move(target));
  });
}

void Worker::close_config_listener(ConfigListener* l) {
  config_listeners_.erase(std::find(config_listeners_.begin(), config_listeners_.end(), l));
  net::close_handle(reinterpret_cast<uv_handle_t*>(&l->tcp),
                    [](uv_handle_t* h) { delete static_cast<ConfigListener*>(h->data); });
}

void Worker::on_config_connection(uv_stream_t* listener, int status) noexcept {
  auto* l = static_cast<ConfigListener*>(listener->data);
  if (status < 0 || l->worker->draining_) return;
  Downstream::accept(*l->worker, listener, l->route_table, l->port);
}

void Worker::set_config(std::shared_ptr<const pc::ProxyConfig> config) {
  loop_.post([this, config = std::move(config)]() mutable { apply_config(std::move(config)); });
}

void Worker::apply_config(std::shared_ptr<const pc::ProxyConfig> config) {
  clusters_.clear();  // views into the old config; in-flight streams keep their own
  ++generation_;
  config_ = std::move(config);
  route_table_ = nullptr;
  if (!config_) return;
  if (!settings_.route_table.empty()) {
    route_table_ = config_->find_route_table(settings_.route_table);
  } else {
    // Gateways name tables "http.PORT", sidecars "PORT": the one for our port, else the first.
    std::string port = std::to_string(settings_.listener_port);
    route_table_ = config_->find_route_table("http." + port);
    if (route_table_ == nullptr) route_table_ = config_->find_route_table(port);
    if (route_table_ == nullptr && !config_->route_tables.empty())
      route_table_ = &config_->route_tables.front();
  }
  for (const pc::Cluster& c : config_->clusters) clusters_.emplace(c.name, &c);
}

// States are built on first use after a config swap: a config with many
// clusters costs nothing for the ones this worker never forwards to.
ClusterState* Worker::cluster(std::string_view name) {
  auto it = clusters_.find(name);
  if (it == clusters_.end()) return nullptr;
  const pc::Cluster& c = *it->second;
  std::unique_ptr<ClusterState>& state = states_[c.name];
  if (!state) state = std::make_unique<ClusterState>();
  if (state->generation != generation_) {
    std::vector<EndpointPool*> pools;
    pools.reserve(c.endpoints.size());
    for (const pc::Endpoint& e : c.endpoints) pools.push_back(endpoint_pool(c, e));
    for (EndpointPool* p : pools) p->breaker = &state->breaker();
    state->update(c, std::move(pools), random(), uv_now(loop_.get()));
    state->generation = generation_;
  }
  return state.get();
}

void Worker::snapshot_endpoints(std::unordered_map<std::string, EndpointSnapshot>& out) const {
  for (const auto& [key, pool] : pools_) out[key].counters = pool->counters;
  for (const auto& [name, state] : states_) {
    if (state->generation != generation_) continue;
    const pc::Cluster& c = state->cluster();
    for (size_t i = 0; i < c.endpoints.size(); ++i) {
      EndpointSnapshot& e = out[endpoint_key(c, c.endpoints[i])];
      e.ejected = state->outlier().ejected(i);
      e.times_ejected = state->outlier().times_ejected(i);
    }
  }
}

EndpointPool* Worker::original_destination_pool(ClusterState& cluster, const sockaddr_storage& address) {
  char ip[INET6_ADDRSTRLEN] = {};
  uint16_t port = 0;
  if (address.ss_family == AF_INET6) {
    const auto& a6 = reinterpret_cast<const sockaddr_in6&>(address);
    uv_ip6_name(&a6, ip, sizeof ip);
    port = ntohs(a6.sin6_port);
  } else {
    const auto& a4 = reinterpret_cast<const sockaddr_in&>(address);
    uv_ip4_name(&a4, ip, sizeof ip);
    port = ntohs(a4.sin_port);
  }
  pc::Endpoint endpoint;
  endpoint.address = ip;
  endpoint.port = port;
  EndpointPool* pool = endpoint_pool(cluster.cluster(), endpoint);
  pool->breaker = &cluster.breaker();
  return pool;
}

void Worker::take_buffer(std::string& out) {
  out.clear();
  if (buffers_free_.empty()) return;
  out.swap(buffers_free_.back());
  buffers_free_.pop_back();
}

void Worker::give_buffer(std::string& buffer) {
  // Keep a few small buffers (a head and a small body): an idle proxy stays
  // small after a burst of big bodies, which go back to the allocator.
  if (buffer.capacity() > 0 && buffer.capacity() <= 8 * 1024 && buffers_free_.size() < 128) {
    buffer.clear();
    buffers_free_.push_back(std::move(buffer));
  }
  std::string().swap(buffer);
}

void Worker::wait_for_connection(ClusterState& cluster, Downstream* d) {
  cluster.waiters().push_back(d);
  ++waiting_;
}

void Worker::stop_waiting(ClusterState& cluster, Downstream* d) {
  auto& w = cluster.waiters();
  auto it = std::find(w.begin(), w.end(), d);
  if (it == w.end()) return;
  w.erase(it);
  --waiting_;
}

void Worker::kick_waiters() {
  if (waiting_ == 0 || kick_armed_ || stopping_) return;
  kick_armed_ = true;
  uv_timer_start(&kick_timer_, &Worker::on_kick, 0, 0);
}

void Worker::on_kick(uv_timer_t* t) noexcept {
  auto* self = static_cast<Worker*>(t->data);
  self->kick_armed_ = false;
  for (auto& [name, state] : self->states_) {
    auto& w = state->waiters();
    // Oldest first; stop at the first that still finds no connection.
    while (!w.empty()) {
      Downstream* d = w.front();
      if (!Downstream::can_resume(*d)) break;
      w.erase(w.begin());
      --self->waiting_;
      d->resume_forward();
    }
  }
}

EndpointPool* Worker::endpoint_pool(const pc::Cluster& cluster, const pc::Endpoint& endpoint) {
  auto& slot = pools_[endpoint_key(cluster, endpoint)];
  if (!slot) {
    slot = std::make_unique<EndpointPool>();
    slot->address_ok =
        net::make_address(endpoint.address, static_cast<uint16_t>(endpoint.port), slot->address) == 0;
    slot->connect_timeout_ms = settings_.connect_timeout_ms;
  }
  const auto& cp = cluster.connection_pool;
  slot->connect_timeout_ms = settings_.connect_timeout_ms;
  slot->idle_timeout_ms = settings_.idle_timeout_ms;
  if (cp && cp->tcp.connect_timeout) {
    slot->connect_timeout_ms = static_cast<uint64_t>(cp->tcp.connect_timeout->count() / 1'000'000);
  }
  if (cp && cp->http.idle_timeout) {
    slot->idle_timeout_ms = static_cast<uint64_t>(cp->http.idle_timeout->count() / 1'000'000);
  }
  return slot.get();
}

uint64_t Worker::random() {
  // xorshift64*: cheap, per worker, good enough for load balancing and request ids.
  rng_ ^= rng_ >> 12;
  rng_ ^= rng_ << 25;
  rng_ ^= rng_ >> 27;
  return rng_ * 0x2545F4914F6CDD1Dull;
}

void Worker::add(Downstream* d) {
  downstreams_.push_back(d);
}

void Worker::remove(Downstream* d) {
  auto it = std::find(downstreams_.begin(), downstreams_.end(), d);
  if (it != downstreams_.end()) {
    *it = downstreams_.back();
    downstreams_.pop_back();
  }
  maybe_finish();
}

void Worker::remove_shadow(Shadow* s) {
  auto it = std::find(shadows_.begin(), shadows_.end(), s);
  if (it != shadows_.end()) {
    *it = shadows_.back();
    shadows_.pop_back();
  }
}

void Worker::close_listener() {
  if (listening_) net::close_handle(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
  listening_ = false;
  while (!config_listeners_.empty()) close_config_listener(config_listeners_.back());
  if (capture_) capture_->close_listeners();
}

void Worker::drain() {
  loop_.post([this] {
    draining_ = true;
    close_listener();
    std::vector<Downstream*> idle;
    for (Downstream* d : downstreams_) {
      if (d->idle()) idle.push_back(d);
    }
    for (Downstream* d : idle) d->close();
    maybe_finish();
  });
}

void Worker::stop() {
  loop_.post([this] {
    stopping_ = true;
    draining_ = true;
    close_listener();
    std::vector<Downstream*> all = downstreams_;
    for (Downstream* d : all) d->reset_locally();
    if (capture_) capture_->close_all();
    maybe_finish();
  });
}

void Worker::maybe_finish() {
  if (!draining_ || !downstreams_.empty() || (capture_ && !capture_->empty())) return;
  std::vector<Shadow*> shadows = shadows_;  // mirrors are best effort: they do not hold up a drain
  for (Shadow* s : shadows) s->abort();
  // Idle upstream connections go too, then the loop ends once their handles closed.
  for (auto& [key, pool] : pools_) {
    std::vector<Upstream*> idle = pool->idle;
    for (Upstream* u : idle) u->abort();
  }
  loop_.post([this] { uv_stop(loop_.get()); });
}

}  // namespace mesh::proxy
