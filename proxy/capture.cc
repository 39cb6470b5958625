#include "proxy/capture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "core/net/tcp.h"
#include "proxy/downstream.h"
#include "proxy/passthrough.h"
#include "proxy/worker.h"

namespace mesh::proxy {

// One capture listener: a plain listening socket watched with uv_poll, so
// accepted sockets arrive as descriptors the router or a relay then adopts.
struct CaptureSet::Listener {
  CaptureSet* set = nullptr;
  CaptureDirection direction = CaptureDirection::kOutbound;
  uv_poll_t poll{};
  int fd = -1;
  uint16_t port = 0;
  bool open = false;
  // Config TCP listeners: their id and where connections go (no capture).
  uint64_t id = 0;
  std::optional<TcpTarget> target;
};

namespace {

// SO_ORIGINAL_DST (IPv4) and IP6T_SO_ORIGINAL_DST (IPv6) share this value;
// the netfilter headers that define them clash with <netinet/in.h>.
constexpr int kSoOriginalDst = 80;
constexpr int kAcceptBatch = 64;

std::string ip_text(const sockaddr_storage& a, uint16_t& port) {
  char text[INET6_ADDRSTRLEN] = "";
  if (a.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&a);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    port = ntohs(in->sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    port = ntohs(in6->sin6_port);
  }
  return text;
}

// Istio's inbound source: the app sees 127.0.0.6 (or ::6), and the capture
// rules let that source through lo instead of capturing it again.
sockaddr_storage inbound_source(int family) {
  sockaddr_storage s{};
  net::make_address(family == AF_INET6 ? "::6" : "127.0.0.6", 0, s);
  return s;
}

// Refuses with a reset, so the client sees the refusal at once.
void refuse(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

}  // namespace

bool original_destination(int fd, sockaddr_storage& out) {
  sockaddr_storage local{};
  socklen_t len = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) return false;
  len = sizeof out;
  int level = local.ss_family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
  return getsockopt(fd, level, kSoOriginalDst, &out, &len) == 0;
}

std::string capture_stats_text(const std::vector<const CaptureStats*>& per_worker) {
  std::string out;
#define MESH_CAPTURE_LINE(field, name)                              \
  {                                                                 \
    uint64_t sum = 0;                                               \
    for (const CaptureStats* s : per_worker) sum += s->field.get(); \
    out += std::string(name) + ": " + std::to_string(sum) + "\n";   \
  }
  MESH_CAPTURE_COUNTERS(MESH_CAPTURE_LINE)
#undef MESH_CAPTURE_LINE
  return out;
}

std::string capture_prometheus_text(const std::vector<const CaptureStats*>& per_worker) {
  std::string out;
#define MESH_CAPTURE_PROM(field, name)                                                                      \
  {                                                                                                         \
    uint64_t sum = 0;                                                                                       \
    for (const CaptureStats* s : per_worker) sum += s->field.get();                                         \
    out += "# TYPE mesh_capture_" #field " counter\nmesh_capture_" #field " " + std::to_string(sum) + "\n"; \
  }
  MESH_CAPTURE_COUNTERS(MESH_CAPTURE_PROM)
#undef MESH_CAPTURE_PROM
  return out;
}

CaptureSet::CaptureSet(Worker& worker) : worker_(worker) {}

CaptureSet::~CaptureSet() = default;

int CaptureSet::listen(CaptureDirection direction, const sockaddr* address) {
  const int fd = net::listen_socket(address, 4096);
  if (fd < 0) return fd;
  auto l = std::make_unique<Listener>();
  l->direction = direction;
  l->fd = fd;
  start_listener(std::move(l));
  (direction == CaptureDirection::kOutbound ? outbound_port_ : inbound_port_) = listeners_.back()->port;
  return 0;
}

void CaptureSet::add_tcp_listener(uint64_t id, int fd, TcpTarget target) {
  auto l = std::make_unique<Listener>();
  l->fd = fd;
  l->id = id;
  l->target = std::move(target);
  start_listener(std::move(l));
}

void CaptureSet::start_listener(std::unique_ptr<Listener> l) {
  l->set = this;
  l->port = net::socket_port(l->fd);
  uv_poll_init_socket(worker_.loop(), &l->poll, l->fd);
  l->poll.data = l.get();
  l->open = true;
  uv_poll_start(&l->poll, UV_READABLE, &CaptureSet::on_readable);
  listeners_.push_back(std::move(l));
}

void CaptureSet::retarget_tcp_listener(uint64_t id, TcpTarget target) {
  for (auto& l : listeners_) {
    if (l->target && l->id == id) l->target = target;
  }
}

void CaptureSet::remove_tcp_listener(uint64_t id) {
  for (auto& l : listeners_) {
    if (l->target && l->id == id && l->open) close_listener(*l);
  }
}

uint16_t CaptureSet::port(CaptureDirection direction) const {
  return direction == CaptureDirection::kOutbound ? outbound_port_ : inbound_port_;
}

void CaptureSet::close_listeners() {
  for (auto& l : listeners_) {
    if (l->open) close_listener(*l);
  }
}

// The socket closes once the poll handle has; a config listener's record goes
// then too (capture listeners stay, for port()).
void CaptureSet::close_listener(Listener& l) {
  l.open = false;
  net::close_handle(reinterpret_cast<uv_handle_t*>(&l.poll), [](uv_handle_t* h) {
    auto* listener = static_cast<Listener*>(h->data);
    ::close(listener->fd);
    listener->fd = -1;
    if (!listener->target) return;
    auto& all = listener->set->listeners_;
    all.erase(std::find_if(all.begin(), all.end(), [&](const auto& p) { return p.get() == listener; }));
  });
}

void CaptureSet::close_all() {
  close_listeners();
  std::vector<TcpRelay*> relays = relays_;
  for (TcpRelay* r : relays) r->close();
}

void CaptureSet::remove(TcpRelay* relay) {
  auto it = std::find(relays_.begin(), relays_.end(), relay);
  if (it == relays_.end()) return;
  *it = relays_.back();
  relays_.pop_back();
}

void CaptureSet::on_readable(uv_poll_t* poll, int status, int) noexcept {
  auto* l = static_cast<Listener*>(poll->data);
  if (status < 0 || !l->open) return;
  l->set->accept_all(*l);
}

void CaptureSet::accept_all(Listener& l) {
  for (int i = 0; i < kAcceptBatch && l.open && !worker_.draining(); ++i) {
    int fd = accept4(l.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: drained; other errors (EMFILE ...) retry on the next wake-up
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (l.target) {
      stats_.config_tcp_cx.add();
      relay_to_cluster(fd, l.target->pick(worker_.random()), nullptr);
      continue;
    }
    dispatch(l.direction, fd);
  }
}

void CaptureSet::dispatch(CaptureDirection direction, int fd) {
  const bool outbound = direction == CaptureDirection::kOutbound;
  (outbound ? stats_.outbound_cx_total : stats_.inbound_cx_total).add();
  sockaddr_storage dst{};
  if (!original_destination(fd, dst) || worker_.config() == nullptr) {
    // Not redirected: a direct connection to the capture port has nowhere to go.
    (outbound ? stats_.outbound_no_original_dst : stats_.inbound_no_original_dst).add();
    refuse(fd);
    return;
  }
  if (outbound) {
    dispatch_outbound(fd, dst);
  } else {
    dispatch_inbound(fd, dst);
  }
}

void CaptureSet::dispatch_outbound(int fd, const sockaddr_storage& dst) {
  uint16_t port = 0;
  std::string ip = ip_text(dst, port);
  CaptureRoute r = route_outbound(*worker_.config(), ip, port);
  switch (r.kind) {
    case CaptureRoute::Kind::kHttp:
      stats_.outbound_http_cx.add();
      Downstream::adopt(worker_, fd, std::move(r.route_table), port);
      return;
    case CaptureRoute::Kind::kTcp:
      stats_.outbound_tcp_cx.add();
      relay_to_cluster(fd, r.tcp.pick(worker_.random()), nullptr);
      return;
    case CaptureRoute::Kind::kPassthrough:
      stats_.passthrough_cx.add();
      TcpRelay::start(worker_, *this, fd, dst, nullptr);
      return;
    case CaptureRoute::Kind::kBlackHole:
      stats_.blackhole_cx.add();
      refuse(fd);
      return;
  }
}

void CaptureSet::dispatch_inbound(int fd, const sockaddr_storage& dst) {
  uint16_t port = 0;
  ip_text(dst, port);
  CaptureRoute r = route_inbound(*worker_.config(), port);
  if (r.kind == CaptureRoute::Kind::kTcp) {
    stats_.inbound_cluster_cx.add();
    relay_to_cluster(fd, r.cluster, &dst);
    return;
  }
  stats_.inbound_passthrough_cx.add();
  sockaddr_storage source = inbound_source(dst.ss_family);
  TcpRelay::start(worker_, *this, fd, dst, &source);
}

// `inbound_hint` set: inbound delivery, from Istio's inbound source address.
void CaptureSet::relay_to_cluster(int fd, const std::string& cluster, const sockaddr_storage* inbound_hint) {
  ClusterState* state = worker_.cluster(cluster);
  // The cluster's load balancer (with outlier ejections) picks, as for HTTP.
  std::optional<size_t> pick = state ? state->pick(policy::LbContext{}, uv_now(worker_.loop())) : std::nullopt;
  EndpointPool* pool = pick ? state->pool(*pick) : nullptr;
  if (pool != nullptr && !pool->address_ok) pool = nullptr;
  if (pool == nullptr) {
    stats_.tcp_cx_no_endpoint.add();
    refuse(fd);
    return;
  }
  if (inbound_hint == nullptr) {
    TcpRelay::start(worker_, *this, fd, pool->address, nullptr);
    return;
  }
  sockaddr_storage source = inbound_source(pool->address.ss_family);
  TcpRelay::start(worker_, *this, fd, pool->address, &source);
}

}  // namespace mesh::proxy
