// Downstream's reading and parsing: bytes from the client into the codec (or,
// once an upgrade is tunnelled, straight to the tunnel), pipelined requests one
// at a time, and what a parse error or a closed peer means for the stream.
#include "proxy/downstream.h"
#include "proxy/worker.h"

namespace mesh::proxy {

namespace {

uv_stream_t* as_stream(uv_tcp_t* h) {
  return reinterpret_cast<uv_stream_t*>(h);
}

}  // namespace

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
  auto* self = static_cast<Downstream*>(h->data);
  *buf =
      self->tunnel_ != nullptr && self->tunnelling_ ? self->tunnel_->client_buffer() : self->reader_.alloc();
}

void Downstream::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) noexcept {
  auto* self = static_cast<Downstream*>(s->data);
  if (self->closing_) return;
  if (self->tunnelling_) {
    self->tunnel_read(n);
    return;
  }
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
    flag(kFlagDC);
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
  // An upgrade request being tunnelled: past its end comes the switch to raw bytes.
  if (st == net::ParseStatus::kMessageDone && tunnel_ != nullptr && !tunnelling_) st = reader_.resume();
  switch (st) {
    case net::ParseStatus::kNeedMore:
    case net::ParseStatus::kMessageDone:
      if (!active_ && reader_.mid_message() && timer_mode_ != TimerMode::kHeaders) {
        set_timer(TimerMode::kHeaders, worker_.settings().request_header_timeout_ms);
      }
      return true;
    case net::ParseStatus::kUpgrade:
      if (tunnel_ != nullptr) {
        enter_tunnel();
        return false;
      }
      // An upgrade request the proxy answered itself (no route, a fault): nothing to tunnel.
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

}  // namespace mesh::proxy
