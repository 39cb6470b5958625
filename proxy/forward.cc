// Downstream's upstream side: endpoint choice, connection-pool limits, the
// request queued for a connection, attempts, retries and forwarding deadlines.
// See forward.h for what is kept to replay a request.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <variant>

#include "core/policy/hash_key.h"
#include "proxy/downstream.h"
#include "proxy/worker.h"

namespace mesh::proxy {

namespace {

using Failure = policy::AttemptOutcome::Failure;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::string_view kOverflow =
    "upstream connect error or disconnect/reset before headers. reset reason: overflow";

uint64_t to_ms(model::Duration d) {
  return static_cast<uint64_t>(d.count() / 1'000'000);
}

// A parsed request head as hash_inputs() wants to read it.
struct HeadView {
  const net::Http1Head& head;
  std::string_view path;
  std::optional<std::string_view> header(std::string_view lower_name) const {
    bool present = false;
    std::string_view v = head.find(lower_name, &present);
    return present ? std::optional<std::string_view>(v) : std::nullopt;
  }
};

// Where the client meant to go before iptables redirected it to us
// (SO_ORIGINAL_DST); false for a connection that was not redirected.
bool same_address(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const auto& x = reinterpret_cast<const sockaddr_in&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
  const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
  return x.sin6_port == y.sin6_port && std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof x.sin6_addr) == 0;
}

// SO_ORIGINAL_DST and IP6T_SO_ORIGINAL_DST; the kernel headers that name them
// clash with the C library's.
constexpr int kOriginalDst = 80;

bool original_destination(const uv_tcp_t* tcp, sockaddr_storage& out) {
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<const uv_handle_t*>(tcp), &fd) != 0) return false;
  socklen_t len = sizeof out;
  bool found = getsockopt(fd, SOL_IP, kOriginalDst, &out, &len) == 0;
  if (!found) {
    len = sizeof out;
    found = getsockopt(fd, SOL_IPV6, kOriginalDst, &out, &len) == 0;
  }
  // With connection tracking on, an unredirected connection reports our own
  // address: going there would loop back into the proxy.
  sockaddr_storage local{};
  len = sizeof local;
  if (!found || getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) return false;
  return !same_address(out, local);
}

}  // namespace

void Downstream::forward(const net::Http1Head& head, const pc::Route& route,
                         const pc::WeightedCluster& destination) {
  destination_ = &destination;
  fwd_.cluster = worker_.cluster(destination.cluster);
  if (fwd_.cluster == nullptr) {
    flag(kFlagUH);
    local_reply(503, "no healthy upstream", false);
    return;
  }
  const auto& action = std::get<pc::ForwardAction>(route.action);
  uint64_t now = uv_now(worker_.loop());
  if (action.timeout && action.timeout->count() > 0) fwd_.route_deadline_ms = now + to_ms(*action.timeout);
  if (action.retry.attempts > 0) {
    fwd_.retry.emplace(action.retry, &fwd_.cluster->breaker(), worker_.policy_random());
    if (action.retry.per_try_timeout) fwd_.per_try_ms = to_ms(*action.retry.per_try_timeout);
  }
  const pc::Cluster& cluster = fwd_.cluster->cluster();
  if (cluster.load_balancer.consistent_hash) hash_request(head, *cluster.load_balancer.consistent_hash);
  RequestHeadContext ctx;
  ctx.peer_ip = peer_ip_;
  ctx.framing = request_framing_;
  ctx.content_length = head.content_length;
  ctx.route_ops = &route.request_headers;
  ctx.destination_ops = &destination.request_headers;
  ctx.random_hi = worker_.random();
  ctx.random_lo = worker_.random();
  ctx.path = filters_.path;
  ctx.authority = filters_.authority;
  HeaderVars vars{&tcp_, nullptr, &head};
  ctx.vars = &vars;
  worker_.take_buffer(fwd_.replay);
  build_upstream_request(head, ctx, fwd_.replay);
  log_request_id(fwd_.replay);
  start_mirrors(head, action, fwd_.replay);
  fwd_.replay_ok = true;
  fwd_.request_slot = policy::ResourceGuard(fwd_.cluster->breaker(), policy::Resource::kRequest);
  if (!fwd_.request_slot) {
    worker_.stats().upstream_rq_pending_overflow.add();
    overflow_reply();
    return;
  }
  start_attempt();
  if (expect_continue_ && !local_) writer_.write(kContinue);
  release_held_body();
}

void Downstream::hash_request(const net::Http1Head& head, const model::ConsistentHashLB& config) {
  HeadView view{head, head.url};
  policy::HashKey key = policy::compute_hash_key(config, policy::hash_inputs(config, view, peer_ip_));
  fwd_.hash = key.hash;
  if (!key.set_cookie.empty()) fwd_.set_cookie = std::move(key.set_cookie);
}

// Picks an endpoint (another one than the last attempt's when it can) and
// sends the request, or queues it when the cluster is at tcp.maxConnections.
void Downstream::start_attempt() {
  if (fwd_.cluster->passthrough()) {
    if (!pick_original_destination()) return;
  } else {
    policy::LbContext ctx;
    ctx.hash = fwd_.hash;
    ctx.avoid = fwd_.endpoint;
    std::optional<size_t> endpoint = fwd_.cluster->pick(ctx, uv_now(worker_.loop()));
    if (!endpoint) {
      flag(kFlagUH);
      local_reply(503, "no healthy upstream", false);
      return;
    }
    fwd_.endpoint = *endpoint;
    fwd_.pool = fwd_.cluster->pool(*endpoint);
  }
  log_upstream_host(*fwd_.pool);
  bool reused = false;
  Upstream* up = Upstream::acquire(worker_, *fwd_.pool, this, &reused);
  if (up == nullptr) {
    queue_for_connection();
    return;
  }
  attach(up);
}

// PASSTHROUGH (and Istio's passthrough clusters): no balancing, the request
// goes where the client was going. Without a redirect there is nowhere: 503 UH.
bool Downstream::pick_original_destination() {
  sockaddr_storage address{};
  if (!original_destination(&tcp_, address)) {
    flag(kFlagUH);
    local_reply(503, "no healthy upstream", false);
    return false;
  }
  fwd_.endpoint = policy::kNoEndpoint;
  fwd_.pool = worker_.original_destination_pool(*fwd_.cluster, address);
  return true;
}

// Envoy's pending queue: wait for a connection up to http1MaxPendingRequests.
void Downstream::queue_for_connection() {
  fwd_.pending_slot = policy::ResourceGuard(fwd_.cluster->breaker(), policy::Resource::kPendingRequest);
  if (!fwd_.pending_slot) {
    worker_.stats().upstream_rq_pending_overflow.add();
    overflow_reply();
    return;
  }
  worker_.stats().upstream_rq_pending_total.add();
  fwd_.waiting = true;
  worker_.wait_for_connection(*fwd_.cluster, this);
  if (!request_complete_) {  // what was read is kept; read no more until connected
    read_blocked_ = true;
    stop_reading();
  }
  arm_forward_timer();
}

bool Downstream::can_resume(const Downstream& d) {
  return d.fwd_.pool != nullptr && Upstream::available(*d.fwd_.pool);
}

void Downstream::resume_forward() {
  fwd_.waiting = false;
  fwd_.pending_slot.reset();
  bool reused = false;
  Upstream* up = Upstream::acquire(worker_, *fwd_.pool, this, &reused);
  if (up == nullptr) {
    queue_for_connection();
    return;
  }
  attach(up);
  if (read_blocked_ && up_ != nullptr && up_->queued() < Upstream::kHighWater) on_upstream_drained();
}

// Sends everything kept so far: the head, and on a retry or after queueing the body.
void Downstream::attach(Upstream* up) {
  up_ = up;
  fwd_.attempt_open = true;
  fwd_.cluster->on_attempt_start(fwd_.endpoint);
  ++fwd_.pool->counters.rq_total;
  ++fwd_.pool->counters.rq_active;
  worker_.stats().upstream_rq_total.add();
  uv_buf_t b = uv_buf_init(fwd_.replay.data(), static_cast<unsigned>(fwd_.replay.size()));
  up_->write(&b, 1);
  if (!fwd_.retry) fwd_.replay_ok = false;  // nothing will be replayed: stop keeping bytes
  uint64_t now = uv_now(worker_.loop());
  upstream_sent_ms_ = now;
  fwd_.try_deadline_ms = fwd_.per_try_ms > 0 ? now + fwd_.per_try_ms : 0;
  arm_forward_timer();
}

void Downstream::keep_request_bytes(const uv_buf_t* bufs, unsigned n) {
  if (!fwd_.replay_ok) return;
  size_t len = 0;
  for (unsigned i = 0; i < n; ++i) len += bufs[i].len;
  if (fwd_.replay.size() + len > ForwardState::kReplayLimit) {
    fwd_.replay_ok = false;
    return;
  }
  for (unsigned i = 0; i < n; ++i) fwd_.replay.append(bufs[i].base, bufs[i].len);
}

void Downstream::report_outcome(uint32_t status, std::optional<policy::LocalFailure> failure) {
  if (fwd_.pool == nullptr) return;
  EndpointCounters& c = fwd_.pool->counters;
  if (failure || status >= 500) ++c.rq_error;
  if (failure == policy::LocalFailure::kTimeout) ++c.rq_timeout;
  fwd_.cluster->on_outcome(fwd_.endpoint, fwd_.pool, status, failure, uv_now(worker_.loop()));
}

void Downstream::close_attempt() {
  if (!fwd_.attempt_open) return;
  fwd_.attempt_open = false;
  --fwd_.pool->counters.rq_active;
  fwd_.cluster->lb_request_end(fwd_.endpoint, fwd_.pool);
}

// Decides whether the attempt that just ended is retried; when it is, the
// attempt is dropped and the next one starts after the jittered backoff.
bool Downstream::retry_attempt(const policy::AttemptOutcome& outcome) {
  if (!fwd_.retry || !request_complete_ || !fwd_.replay_ok) return false;
  switch (fwd_.retry->on_attempt(outcome)) {
    case policy::RetryDecision::kRetry:
      break;
    case policy::RetryDecision::kExhausted:
      flag(kFlagURX);
      return false;
    case policy::RetryDecision::kBudgetExceeded:
      worker_.stats().upstream_rq_retry_overflow.add();
      return false;
    case policy::RetryDecision::kNoRetry:
      return false;
  }
  worker_.stats().upstream_rq_retry.add();
  if (up_ != nullptr) {
    Upstream* up = up_;
    up_ = nullptr;
    up->abort();
  }
  close_attempt();
  fwd_.try_deadline_ms = 0;
  // Never start the next attempt from inside this one's callbacks: at least 1 ms.
  fwd_.backoff_until_ms = uv_now(worker_.loop()) + std::max<uint64_t>(fwd_.retry->backoff().count(), 1);
  arm_forward_timer();
  return true;
}

// One timer serves the route timeout, the per-try timeout, the backoff and
// the wait for a connection: it is armed for the earliest of them.
void Downstream::arm_forward_timer() {
  uint64_t next = 0;
  for (uint64_t d : {fwd_.route_deadline_ms, fwd_.try_deadline_ms, fwd_.backoff_until_ms}) {
    if (d != 0 && (next == 0 || d < next)) next = d;
  }
  if (next == 0) {
    set_timer(TimerMode::kOff, 0);
    return;
  }
  uint64_t now = uv_now(worker_.loop());
  set_timer(TimerMode::kRoute, next > now ? next - now : 1);
}

void Downstream::on_forward_deadline() {
  uint64_t now = uv_now(worker_.loop());
  if (fwd_.route_deadline_ms != 0 && now >= fwd_.route_deadline_ms) {
    route_timeout();
  } else if (fwd_.try_deadline_ms != 0 && now >= fwd_.try_deadline_ms) {
    per_try_timeout();
  } else if (fwd_.backoff_until_ms != 0 && now >= fwd_.backoff_until_ms) {
    fwd_.backoff_until_ms = 0;
    start_attempt();
  } else {
    arm_forward_timer();
  }
}

// The route timeout covers every attempt, the queueing and the backoffs.
void Downstream::route_timeout() {
  worker_.stats().upstream_rq_timeout.add();
  fwd_.route_deadline_ms = fwd_.try_deadline_ms = fwd_.backoff_until_ms = 0;
  if (fwd_.waiting) {
    worker_.stop_waiting(*fwd_.cluster, this);
    fwd_.waiting = false;
  }
  if (up_ != nullptr) up_->abort();
  up_ = nullptr;
  if (fwd_.attempt_open && !response_started_) report_outcome(0, policy::LocalFailure::kTimeout);
  close_attempt();
  on_upstream_error(UpstreamError::kTimeout);
}

void Downstream::per_try_timeout() {
  worker_.stats().upstream_rq_per_try_timeout.add();
  fwd_.try_deadline_ms = 0;
  if (up_ != nullptr) up_->abort();
  up_ = nullptr;
  report_outcome(0, policy::LocalFailure::kTimeout);
  close_attempt();
  if (retry_attempt({Failure::kPerTryTimeout, 0, std::nullopt, true})) return;
  worker_.stats().upstream_rq_timeout.add();
  upstream_failure_reply(UpstreamError::kTimeout);
}

void Downstream::overflow_reply() {
  flag(kFlagUO);
  local_reply(503, kOverflow, false);
}

// The request is over: give back everything the forwarding held.
void Downstream::end_forward() {
  if (fwd_.waiting) worker_.stop_waiting(*fwd_.cluster, this);
  close_attempt();
  fwd_.waiting = false;
  fwd_.retry.reset();
  fwd_.request_slot.reset();
  fwd_.pending_slot.reset();
  fwd_.hash.reset();
  fwd_.cluster = nullptr;
  fwd_.pool = nullptr;
  fwd_.endpoint = policy::kNoEndpoint;
  fwd_.route_deadline_ms = fwd_.try_deadline_ms = fwd_.backoff_until_ms = fwd_.per_try_ms = 0;
  fwd_.replay_ok = false;
  if (fwd_.replay.capacity() > 0) worker_.give_buffer(fwd_.replay);
  if (!fwd_.set_cookie.empty()) std::string().swap(fwd_.set_cookie);
}

}  // namespace mesh::proxy
