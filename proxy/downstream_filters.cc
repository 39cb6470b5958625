// Downstream's route filters and access-log bookkeeping, kept apart from the
// forwarding path: fault injection (delay on the connection's timer, then abort),
// CORS, redirects and rewrites, in Istio's filter order.
#include <sys/time.h>

#include "core/policy/fault.h"
#include "proxy/downstream.h"
#include "proxy/worker.h"

namespace mesh::proxy {

namespace {

constexpr std::string_view kFaultAbortBody = "fault filter abort";

uint64_t to_ms(model::Duration d) {
  return static_cast<uint64_t>(d.count() / 1'000'000);
}

int64_t unix_ms() {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  return static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
}

}  // namespace

// True when the filters answered the request or hold it (a fault delay).
bool Downstream::filter_request(const net::Http1Head& head, const RouteDecision& decision) {
  if (route_->fault) {
    policy::Random random(worker_.random());
    policy::FaultDecision fault = policy::decide_fault(*route_->fault, random);
    if (fault.delayed()) {
      flag(kFlagDI);
      filters_.delaying = true;
      filters_.held = std::make_unique<HeldRequest>();
      filters_.held->abort_status = fault.abort_status;
      filters_.held->head.assign(head);
      filters_.held->destination = decision.destination;
      filters_.match_index = decision.match_index;
      // The loop's clock is cached from the start of this iteration; without a
      // refresh the delay could end a little before the configured time.
      uv_update_time(worker_.loop());
      set_timer(TimerMode::kFaultDelay, std::max<uint64_t>(1, to_ms(*fault.delay)));
      return true;
    }
    if (fault.aborted()) {
      flag(kFlagFI);
      local_reply(static_cast<int>(fault.abort_status), kFaultAbortBody, false);
      return true;
    }
  }
  filters_.match_index = decision.match_index;
  return filter_route(head);
}

// CORS, then the router's redirect; a forwarding route gets its rewrite here.
bool Downstream::filter_route(const net::Http1Head& head) {
  FilterReply reply;
  if (route_->cors && apply_cors(*route_->cors, head, filters_, reply)) {
    local_reply(reply.status, "", false, reply.headers);
    return true;
  }
  if (const auto* redirect = std::get_if<pc::RedirectAction>(&route_->action)) {
    redirect_reply(*redirect, head, listener_port_ ? listener_port_ : worker_.settings().listener_port, reply);
    local_reply(reply.status, "", false, reply.headers);
    return true;
  }
  apply_rewrite(*route_, filters_.match_index, head, filters_);
  return false;
}

void Downstream::after_fault_delay() {
  filters_.delaying = false;
  HeldRequest& held = *filters_.held;
  if (held.abort_status != 0) {
    flag(kFlagFI);
    held.body.clear();
    local_reply(static_cast<int>(held.abort_status), kFaultAbortBody, false);
  } else if (!filter_route(held.head.head())) {
    dispatch(held.head.head(), held.destination);
  }
  if (read_blocked_ && (up_ == nullptr || up_->queued() <= Upstream::kHighWater)) {
    read_blocked_ = false;
    start_reading();
  }
}

// Request body bytes that arrive while a delay runs wait here (bounded: reading
// stops past the high-water mark until the request goes out).
bool Downstream::hold_body(const char* data, size_t len) {
  filters_.held->body.append(data, len);
  if (filters_.held->body.size() > kHighWater) {
    read_blocked_ = true;
    stop_reading();
  }
  return true;
}

void Downstream::release_held_body() {
  if (!filters_.held || local_) return;
  bool chunked = request_framing_ == Framing::kChunked;
  if (!filters_.held->body.empty()) {
    std::string body = std::move(filters_.held->body);
    filters_.held->body.clear();
    write_body(chunked, body.data(), body.size(), true);
    mirror_body(body.data(), body.size());
  }
  if (!request_complete_) return;
  if (chunked) {  // the request ended during the delay: its last chunk goes out now
    uv_buf_t b = uv_buf_init(const_cast<char*>("0\r\n\r\n"), 5);
    keep_request_bytes(&b, 1);
    if (up_ != nullptr) up_->write(&b, 1);
  }
  if (mirrors_) mirrors_->end(chunked);
}

void Downstream::start_mirrors(const net::Http1Head& head, const pc::ForwardAction& forward,
                               const std::string& request) {
  if (forward.mirrors.empty()) return;
  if (!mirrors_) mirrors_ = std::make_unique<Mirrors>();
  std::string_view authority = filters_.authority.empty() ? head.find("host") : filters_.authority;
  mirrors_->start(worker_, forward, request, authority);
}

void Downstream::mirror_body(const char* data, size_t len) {
  if (mirrors_ && !mirrors_->empty()) mirrors_->body(data, len, request_framing_ == Framing::kChunked);
}

void Downstream::flag(ResponseFlag f) {
  if (log_) log_->flags |= f;
  count_flag(worker_.stats(), f);
}

void Downstream::log_begin(const net::Http1Head& head) {
  if (worker_.access_log() == nullptr) {
    log_.reset();
    return;
  }
  if (!log_) log_ = std::make_unique<RequestLog>();
  RequestLog& log = *log_;
  log.reset();
  log.start_loop_ms = uv_now(worker_.loop());
  log.start_unix_ms = unix_ms();
  log.method.assign(head.method_name);
  log.path.assign(head.url);
  log.http10 = http10_;
  log.authority.assign(head.find("host"));
  log.forwarded_for.assign(head.find("x-forwarded-for"));
  log.user_agent.assign(head.find("user-agent"));
  log.request_id.assign(head.find("x-request-id"));
}

// The request id the proxy generated, as the upstream saw it.
void Downstream::log_request_id(const std::string& request) {
  if (!log_ || !log_->request_id.empty()) return;
  size_t at = request.find("\r\nx-request-id: ");
  if (at == std::string::npos) return;
  at += 16;
  log_->request_id = request.substr(at, request.find("\r\n", at) - at);
}

void Downstream::log_upstream_host(const EndpointPool& pool) {
  if (!log_) return;
  log_->upstream_host.clear();
  append_address(log_->upstream_host, pool.address);
}

void Downstream::log_end() {
  AccessLogWriter* writer = worker_.access_log();
  if (writer == nullptr || !log_ || log_->start_unix_ms == 0) return;
  RequestLog& log = *log_;
  if (!response_started_) log.status = 0;
  log.duration_ms = uv_now(worker_.loop()) - log.start_loop_ms;
  std::string& out = writer->buffer();
  size_t start = out.size();
  format_access_log(log, out);
  uint64_t dropped = writer->dropped();
  writer->commit(start);
  if (writer->dropped() != dropped) worker_.stats().access_log_dropped.add();
  log.start_unix_ms = 0;  // logged once
}

}  // namespace mesh::proxy
