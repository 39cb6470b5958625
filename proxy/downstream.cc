#include "proxy/downstream.h"

#include <unistd.h>

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

Downstream* Downstream::create(Worker& worker) {
  auto* d = new Downstream(worker);
  uv_tcp_init(worker.loop(), &d->tcp_);
  uv_timer_init(worker.loop(), &d->timer_);
  d->tcp_.data = d->timer_.data = d;
  d->open_handles_ = 2;
  worker.add(d);
  return d;
}

void Downstream::accept(Worker& worker, uv_stream_t* listener, std::string route_table, uint32_t port) {
  Downstream* d = create(worker);
  d->route_table_name_ = std::move(route_table);
  d->listener_port_ = port;
  if (uv_accept(listener, as_stream(&d->tcp_)) != 0) {
    d->close();
    return;
  }
  d->serve();
}

void Downstream::adopt(Worker& worker, uv_os_sock_t fd, std::string route_table, uint32_t port) {
  Downstream* d = create(worker);
  d->route_table_name_ = std::move(route_table);
  d->listener_port_ = port;
  if (uv_tcp_open(&d->tcp_, fd) != 0) {
    ::close(fd);
    d->close();
    return;
  }
  d->serve();
}

void Downstream::serve() {
  uv_tcp_nodelay(&tcp_, 1);
  peer_ip_ = net::peer_ip(&tcp_);
  set_timer(TimerMode::kIdle, worker_.settings().idle_timeout_ms);
  start_reading();
}

const pc::RouteTable* Downstream::route_table() const {
  if (route_table_name_.empty()) return worker_.route_table();
  return config_ ? config_->find_route_table(route_table_name_) : nullptr;
}

int Downstream::on_head(const net::Http1Head& head) {
  worker_.stats().downstream_rq_total.add();
  set_timer(TimerMode::kOff, 0);
  begin_stream(head);
  const pc::RouteTable* table = route_table();
  RouteDecision decision;
  const uint32_t port = listener_port_ ? listener_port_ : worker_.settings().listener_port;
  if (table != nullptr) decision = route_request(*table, head, port, worker_.random());
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
  request_complete_ = response_started_ = response_complete_ = local_ = upstream_paused_ = discarding_ =
      false;
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

void Downstream::on_body(const char* data, size_t len) {
  if (log_) log_->bytes_received += len;
  if (discarding_) {
    mirror_body(data, len);
    return;
  }
  if (filters_.delaying && hold_body(data, len)) return;
  if (local_ || len == 0 || (up_ == nullptr && !fwd_.waiting)) return;
  write_body(request_framing_ == Framing::kChunked, data, len, true);
  mirror_body(data, len);
  if (up_ == nullptr && !fwd_.replay_ok) {  // queued, and the body outgrew what is kept
    end_forward();
    overflow_reply();
    read_blocked_ = false;  // read (and drop) the rest of the body
    start_reading();
    return;
  }
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
  if (to_upstream) {
    keep_request_bytes(bufs, n);
    if (up_ != nullptr) up_->write(bufs, n);
  } else if (!writer_.write(bufs, n)) {
    close();
  }
}

void Downstream::on_message_complete() {
  request_complete_ = true;
  if (mirrors_) mirrors_->end(request_framing_ == Framing::kChunked);
  if (request_framing_ == Framing::kChunked && !local_ && (up_ != nullptr || fwd_.waiting)) {
    uv_buf_t b = uv_buf_init(const_cast<char*>("0\r\n\r\n"), 5);
    keep_request_bytes(&b, 1);
    if (up_ != nullptr) up_->write(&b, 1);
  }
  if (response_complete_) finish_stream();
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
  end_forward();
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
      self->on_forward_deadline();
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

void Downstream::reset_locally() {
  if (active_ && !response_complete_ && !closing_) flag(kFlagLR);
  close();
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
  end_forward();
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
