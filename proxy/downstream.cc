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

void Downstream::start_reading() {
  if (!reading_ && !closing_ &&
      uv_read_start(as_stream(&tcp_), &Downstream::on_alloc, &Downstream::on_read) == 0) {
    reading_ = true;
  }
}

void Downstream::stop_reading() {
  if (reading_) uv_read_stop(as_stream(&tcp_));
  reading_ = false;
}

void Downstream::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
  *buf = static_cast<Downstream*>(h->data)->reader_.alloc();
}

void Downstream::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) noexcept {
  auto* self = static_cast<Downstream*>(s->data);
  if (self->closing_) return;
  if (n > 0) {
    if (!self->active_ && self->timer_mode_ == TimerMode::kIdle) {
      self->set_timer(TimerMode::kHeaders, self->worker_.settings().request_header_timeout_ms);
    }
    self->in_process_ = true;  // callbacks must not re-enter the parser
    net::ParseStatus st = self->reader_.on_data(static_cast<size_t>(n));
    self->in_process_ = false;
    self->process(st);
    return;
  }
  self->reader_.on_no_data();
  if (n == UV_ENOBUFS) {  // block full of pipelined requests: wait for the current one
    self->stop_reading();
    self->read_full_ = true;
  } else if (n < 0) {
    self->on_peer_closed();
  }
}

void Downstream::on_peer_closed() {
  if (active_ && !response_complete_) {
    worker_.stats().flag_DC.add();
    worker_.stats().downstream_rq_rx_reset.add();
  }
  close();
}

// Runs parse results, then any pipelined requests the finished stream unblocked.
void Downstream::process(net::ParseStatus st) {
  if (in_process_) return;
  in_process_ = true;
  for (;;) {
    if (!handle_status(st) || closing_ || !next_pending_) break;
    next_pending_ = false;
    st = reader_.resume();
  }
  in_process_ = false;
}

bool Downstream::handle_status(net::ParseStatus st) {
  switch (st) {
    case net::ParseStatus::kNeedMore:
    case net::ParseStatus::kMessageDone:
      if (!active_ && reader_.mid_message() && timer_mode_ != TimerMode::kHeaders) {
        set_timer(TimerMode::kHeaders, worker_.settings().request_header_timeout_ms);
      }
      return true;
    case net::ParseStatus::kUpgrade:
      // Protocol upgrades (WebSocket) are not tunnelled yet.
      if (up_ != nullptr) up_->abort();
      up_ = nullptr;
      if (!response_started_) local_reply(501, "upgrade not supported\n", true);
      close_after_flush();
      return false;
    case net::ParseStatus::kError:
      worker_.stats().downstream_cx_protocol_error.add();
      if (up_ != nullptr) up_->abort();
      up_ = nullptr;
      if (!response_started_) {
        local_reply(reader_.error_status(), reader_.error_status() == 431 ? "" : "Bad Request", true);
      }
      close_after_flush();
      return false;
  }
  return false;
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
    worker_.stats().flag_NR.add();
    local_reply(404, "", false);
    return 0;
  }
  if (const auto* direct = std::get_if<pc::DirectResponseAction>(&route_->action)) {
    local_reply(static_cast<int>(direct->status), direct->body, false);
    return 0;
  }
  if (decision.destination == nullptr) {
    worker_.stats().flag_UH.add();
    local_reply(503, "no healthy upstream", false);
    return 0;
  }
  forward(head, *route_, *decision.destination);
  return 0;
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
}

void Downstream::on_body(const char* data, size_t len) {
  if (local_ || len == 0 || (up_ == nullptr && !fwd_.waiting)) return;
  write_body(request_framing_ == Framing::kChunked, data, len, true);
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
  if (to_upstream) {
    keep_request_bytes(bufs, n);
    if (up_ != nullptr) up_->write(bufs, n);
  } else if (!writer_.write(bufs, n)) {
    close();
  }
}

void Downstream::on_message_complete() {
  request_complete_ = true;
  if (request_framing_ == Framing::kChunked && !local_ && (up_ != nullptr || fwd_.waiting)) {
    uv_buf_t b = uv_buf_init(const_cast<char*>("0\r\n\r\n"), 5);
    keep_request_bytes(&b, 1);
    if (up_ != nullptr) up_->write(&b, 1);
  }
  if (response_complete_) finish_stream();
}

void Downstream::count_status(int status) {
  WorkerStats& s = worker_.stats();
  Counter* c[] = {&s.downstream_rq_1xx, &s.downstream_rq_2xx, &s.downstream_rq_3xx, &s.downstream_rq_4xx,
                  &s.downstream_rq_5xx};
  if (status >= 100 && status < 600) c[status / 100 - 1]->add();
}

void Downstream::local_reply(int status, std::string_view body, bool close) {
  count_status(status);
  response_started_ = response_complete_ = local_ = true;
  if (close || (expect_continue_ && !request_complete_)) keep_alive_ = false;
  std::string& out = worker_.scratch();
  out.clear();
  build_local_reply(status, body, !keep_alive_, out);
  if (!writer_.write(out)) {
    this->close();
    return;
  }
  if (request_complete_) finish_stream();
}

void Downstream::finish_stream() {
  set_timer(TimerMode::kOff, 0);
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
  if (self->upstream_paused_ && self->up_ != nullptr && self->writer_.queued() < kLowWater) {
    self->upstream_paused_ = false;
    self->up_->resume_reading();
  }
  if (self->close_after_flush_ && self->writer_.idle()) self->close();
}

void Downstream::close() {
  if (closing_) return;
  closing_ = true;
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
