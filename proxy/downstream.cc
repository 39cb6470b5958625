#include "proxy/downstream.h"

#include <variant>

#include "proxy/router.h"
#include "proxy/worker.h"

namespace mesh::proxy {

namespace {

template <typename T>
uv_handle_t* as_handle(T* h) {
  return reinterpret_cast<uv_handle_t*>(h);
}
template <typename T>
uv_stream_t* as_stream(T* h) {
  return reinterpret_cast<uv_stream_t*>(h);
}

uint64_t to_ms(model::Duration d) {
  return static_cast<uint64_t>(d.count() / 1'000'000);
}

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace

Downstream::Downstream(Worker& worker)
    : worker_(worker),
      reader_(net::Http1Reader::Kind::kRequest, worker.buffers(), *this),
      writer_(as_stream(&tcp_), this, &Downstream::on_write_done) {
  worker_.stats().downstream_cx_total.add();
  worker_.stats().downstream_cx_active.add();
}

Downstream::~Downstream() {
  worker_.stats().downstream_cx_active.sub();
}

void Downstream::accept(Worker& worker, uv_stream_t* listener) {
  auto* d = new Downstream(worker);
  uv_tcp_init(worker.loop(), &d->tcp_);
  uv_timer_init(worker.loop(), &d->timer_);
  d->tcp_.data = d->timer_.data = d;
  d->open_handles_ = 2;
  worker.add(d);
  if (uv_accept(listener, as_stream(&d->tcp_)) != 0) {
    d->close();
    return;
  }
  uv_tcp_nodelay(&d->tcp_, 1);
  d->peer_ip_ = net::peer_ip(&d->tcp_);
  d->set_timer(TimerMode::kIdle, worker.settings().idle_timeout_ms);
  d->start_reading();
}

int Downstream::on_head(const net::Http1Head& head) {
  worker_.stats().downstream_rq_total.add();
  set_timer(TimerMode::kOff, 0);
  begin_stream(head);
  const pc::RouteTable* table = worker_.route_table();
  RouteDecision decision;
  if (table != nullptr)
    decision = route_request(*table, head, worker_.settings().listener_port, worker_.random());
  route_ = decision.route;
  if (route_ == nullptr) {
    flag(kFlagNR);
    local_reply(404, "", false);
    return 0;
  }
  if (!filter_request(head, decision)) dispatch(head, decision.destination);
  return 0;
}

// The route's own action, once the filters let the request through.
void Downstream::dispatch(const net::Http1Head& head, const pc::WeightedCluster* destination) {
  if (const auto* direct = std::get_if<pc::DirectResponseAction>(&route_->action)) {
    local_reply(static_cast<int>(direct->status), direct->body, false);
    return;
  }
  if (destination == nullptr) {
    flag(kFlagUH);
    local_reply(503, "no healthy upstream", false);
    return;
  }
  if (head.upgrade) {
    start_tunnel(head, *destination);
    return;
  }
  forward(head, *route_, *destination);
}

void Downstream::begin_stream(const net::Http1Head& head) {
  active_ = true;
  request_complete_ = response_started_ = response_complete_ = local_ = upstream_paused_ = false;
  route_ = nullptr;
  destination_ = nullptr;
  http10_ = head.http_major == 1 && head.http_minor == 0;
  head_request_ = head.method == HTTP_HEAD;
  keep_alive_ = head.keep_alive && !worker_.draining();
  request_framing_ = head.chunked              ? Framing::kChunked
                     : head.has_content_length ? Framing::kLength
                                               : Framing::kNone;
  bool has_body = head.chunked || head.content_length > 0;
  expect_continue_ = has_body && net::iequals(head.find("expect"), "100-continue");
  config_ = worker_.config();
  filters_.reset();
  log_begin(head);
}

void Downstream::forward(const net::Http1Head& head, const pc::Route& route,
                         const pc::WeightedCluster& destination) {
  destination_ = &destination;
  ClusterState* cluster = worker_.cluster(destination.cluster);
  size_t n = cluster ? cluster->pools.size() : 0;
  EndpointPool* pool = nullptr;
  for (size_t tries = 0; tries < n && pool == nullptr; ++tries) {
    size_t i = cluster->next++ % n;
    if (cluster->cluster->endpoints[i].healthy) pool = cluster->pools[i];
  }
  if (pool == nullptr) {
    flag(kFlagUH);
    local_reply(503, "no healthy upstream", false);
    return;
  }
  bool reused = false;
  up_ = Upstream::acquire(worker_, *pool, this, &reused);
  worker_.stats().upstream_rq_total.add();
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
  std::string& out = worker_.scratch();
  out.clear();
  build_upstream_request(head, ctx, out);
  log_upstream_request(out, *pool);
  uv_buf_t b = uv_buf_init(out.data(), static_cast<unsigned>(out.size()));
  up_->write(&b, 1);
  upstream_sent_ms_ = uv_now(worker_.loop());
  const auto& fwd = std::get<pc::ForwardAction>(route.action);
  start_mirrors(head, fwd, out);
  if (fwd.timeout && fwd.timeout->count() > 0) set_timer(TimerMode::kRoute, to_ms(*fwd.timeout));
  if (expect_continue_) writer_.write(kContinue);
  release_held_body();
}

void Downstream::on_body(const char* data, size_t len) {
  if (log_) log_->bytes_received += len;
  if (filters_.delaying && hold_body(data, len)) return;
  if (local_ || up_ == nullptr || len == 0) return;
  write_body(request_framing_ == Framing::kChunked, data, len, true);
  mirror_body(data, len);
  if (up_ != nullptr && up_->queued() > Upstream::kHighWater) {
    read_blocked_ = true;
    stop_reading();
  }
}

void Downstream::write_body(bool chunked, const char* data, size_t len, bool to_upstream) {
  char header[24];
  uv_buf_t bufs[3];
  unsigned n = 0;
  if (chunked) bufs[n++] = uv_buf_init(header, static_cast<unsigned>(chunk_header(len, header)));
  bufs[n++] = uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(len));
  if (chunked) bufs[n++] = uv_buf_init(const_cast<char*>("\r\n"), 2);
  if (!to_upstream && log_) log_->bytes_sent += len;
  bool ok = to_upstream ? up_->write(bufs, n) : writer_.write(bufs, n);
  if (!ok && !to_upstream) close();
}

void Downstream::on_message_complete() {
  request_complete_ = true;
  if (mirrors_) mirrors_->end(request_framing_ == Framing::kChunked);
  if (up_ != nullptr && request_framing_ == Framing::kChunked) {
    uv_buf_t b = uv_buf_init(const_cast<char*>("0\r\n\r\n"), 5);
    up_->write(&b, 1);
  }
  if (response_complete_) finish_stream();
}

int Downstream::on_upstream_head(const net::Http1Head& head) {
  response_started_ = true;
  count_status(head.status);
  ResponseHeadContext ctx;
  bool no_body = head_request_ || head.status == 204 || head.status == 304;
  if (no_body) {
    response_framing_ = Framing::kNone;
    ctx.keep_content_length = true;
  } else if (head.has_content_length) {
    response_framing_ = Framing::kLength;
  } else if (http10_) {
    response_framing_ = Framing::kUntilClose;
    keep_alive_ = false;
  } else {
    response_framing_ = Framing::kChunked;
  }
  ctx.framing = response_framing_;
  ctx.content_length = head.content_length;
  ctx.close = !keep_alive_;
  ctx.http10_keep_alive = http10_ && keep_alive_;
  ctx.upstream_service_ms = static_cast<int64_t>(uv_now(worker_.loop()) - upstream_sent_ms_);
  ctx.route_ops = route_ ? &route_->response_headers : nullptr;
  ctx.destination_ops = destination_ ? &destination_->response_headers : nullptr;
  ctx.extra_headers = filters_.response_headers;
  if (log_) log_->upstream_service_ms = ctx.upstream_service_ms;
  std::string& out = worker_.scratch();
  out.clear();
  build_downstream_response(head, ctx, out);
  if (!writer_.write(out)) {
    close();
    return 0;
  }
  return no_body ? 1 : 0;
}

void Downstream::on_upstream_body(const char* data, size_t len) {
  if (closing_ || len == 0) return;
  write_body(response_framing_ == Framing::kChunked, data, len, false);
  if (!closing_ && up_ != nullptr && writer_.queued() > kHighWater) {
    upstream_paused_ = true;
    up_->pause_reading();
  }
}

void Downstream::on_upstream_complete() {
  if (response_framing_ == Framing::kChunked) writer_.write("0\r\n\r\n");
  response_complete_ = true;
  Upstream* up = up_;
  up_ = nullptr;
  up->release(request_complete_);
  if (!request_complete_) keep_alive_ = false;  // the rest of the request body has nowhere to go
  finish_stream();
}

void Downstream::on_upstream_error(UpstreamError error) {
  up_ = nullptr;
  if (response_started_) {
    flag(kFlagUC);
    close();
    return;
  }
  switch (error) {
    case UpstreamError::kConnectFailed:
    case UpstreamError::kConnectTimeout:
      flag(kFlagUF);
      local_reply(
          503, "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
          false);
      break;
    case UpstreamError::kReset:
      flag(kFlagUC);
      local_reply(
          503,
          "upstream connect error or disconnect/reset before headers. reset reason: connection termination",
          false);
      break;
    case UpstreamError::kProtocol:
      flag(kFlagUPE);
      local_reply(502, "upstream protocol error", false);
      break;
    case UpstreamError::kTimeout:
      flag(kFlagUT);
      local_reply(504, "upstream request timeout", false);
      break;
  }
  if (!request_complete_) {
    keep_alive_ = false;
    close_after_flush();
  }
}

void Downstream::on_upstream_drained() {
  if (read_blocked_) {
    read_blocked_ = false;
    start_reading();
  }
}

void Downstream::on_upstream_read_end() {
  if (closing_) return;
  if (!writer_.uncork()) {
    close();
    return;
  }
  if (close_after_flush_ && writer_.idle()) close();
}

void Downstream::count_status(int status) {
  if (log_) log_->status = status;
  WorkerStats& s = worker_.stats();
  Counter* c[] = {&s.downstream_rq_1xx, &s.downstream_rq_2xx, &s.downstream_rq_3xx, &s.downstream_rq_4xx,
                  &s.downstream_rq_5xx};
  if (status >= 100 && status < 600) c[status / 100 - 1]->add();
}

void Downstream::local_reply(int status, std::string_view body, bool close, std::string_view extra_headers) {
  count_status(status);
  response_started_ = response_complete_ = local_ = true;
  if (close || (expect_continue_ && !request_complete_)) keep_alive_ = false;
  std::string& out = worker_.scratch();
  out.clear();
  build_local_reply(status, body, !keep_alive_, out, extra_headers);
  if (log_) log_->bytes_sent += body.size();
  if (!writer_.write(out)) {
    this->close();
    return;
  }
  if (request_complete_) finish_stream();
}

void Downstream::finish_stream() {
  set_timer(TimerMode::kOff, 0);
  log_end();
  active_ = false;
  config_.reset();
  if (!keep_alive_ || !request_complete_ || worker_.draining()) {
    close_after_flush();
    return;
  }
  set_timer(TimerMode::kIdle, worker_.settings().idle_timeout_ms);
  if (read_full_) {
    read_full_ = false;
    start_reading();
  }
  next_pending_ = true;
  process(net::ParseStatus::kNeedMore);
}

void Downstream::close_after_flush() {
  close_after_flush_ = true;
  stop_reading();
  if (writer_.idle()) close();
}

// Timers are re-armed lazily: switching modes only moves the deadline, and the
// callback re-arms itself when it fires early. Most requests touch no timer heap.
void Downstream::set_timer(TimerMode mode, uint64_t ms) {
  timer_mode_ = mode;
  if (mode == TimerMode::kOff || ms == 0) return;
  uint64_t now = uv_now(worker_.loop());
  deadline_ms_ = now + ms;
  if (!timer_armed_ || armed_ms_ > deadline_ms_) {
    uv_timer_start(&timer_, &Downstream::on_timer, ms, 0);
    timer_armed_ = true;
    armed_ms_ = deadline_ms_;
  }
}

void Downstream::on_timer(uv_timer_t* t) noexcept {
  auto* self = static_cast<Downstream*>(t->data);
  self->timer_armed_ = false;
  if (self->closing_ || self->timer_mode_ == TimerMode::kOff) return;
  uint64_t now = uv_now(self->worker_.loop());
  if (now < self->deadline_ms_) {
    self->timer_armed_ = true;
    self->armed_ms_ = self->deadline_ms_;
    uv_timer_start(t, &Downstream::on_timer, self->deadline_ms_ - now, 0);
    return;
  }
  switch (self->timer_mode_) {
    case TimerMode::kOff:
    case TimerMode::kIdle:
      self->close();
      return;
    case TimerMode::kHeaders:
      self->worker_.stats().downstream_rq_timeout.add();
      self->local_reply(408, "request timeout", true);
      self->close_after_flush();
      return;
    case TimerMode::kFaultDelay:
      self->after_fault_delay();
      return;
    case TimerMode::kRoute:
      self->worker_.stats().upstream_rq_timeout.add();
      if (self->up_ != nullptr) self->up_->abort();
      self->up_ = nullptr;
      self->on_upstream_error(UpstreamError::kTimeout);
      return;
  }
}

void Downstream::on_write_done(void* p, int status) {
  auto* self = static_cast<Downstream*>(p);
  if (self->closing_) return;
  if (status < 0) {
    self->close();
    return;
  }
  if (self->tunnel_ != nullptr && self->writer_.queued() < kLowWater) self->tunnel_->client_drained();
  if (self->upstream_paused_ && self->up_ != nullptr && self->writer_.queued() < kLowWater) {
    self->upstream_paused_ = false;
    self->up_->resume_reading();
  }
  if (self->close_after_flush_ && self->writer_.idle()) self->close();
}

void Downstream::close() {
  if (closing_) return;
  closing_ = true;
  if (active_) log_end();
  if (mirrors_) mirrors_->abort();
  if (tunnel_ != nullptr) tunnel_->detach();
  tunnel_ = nullptr;
  if (up_ != nullptr) up_->abort();
  up_ = nullptr;
  config_.reset();
  writer_.abandon();
  stop_reading();
  net::close_handle(as_handle(&tcp_), &Downstream::on_handle_closed);
  net::close_handle(as_handle(&timer_), &Downstream::on_handle_closed);
}

void Downstream::on_handle_closed(uv_handle_t* h) noexcept {
  auto* self = static_cast<Downstream*>(h->data);
  if (--self->open_handles_ > 0) return;
  Worker& worker = self->worker_;
  worker.remove(self);
  delete self;
}

}  // namespace mesh::proxy
