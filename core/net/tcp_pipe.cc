#include "core/net/tcp_pipe.h"

#include "core/net/loop.h"

namespace mesh::net {
namespace {

template <typename T>
uv_stream_t* as_stream(T* h) {
  return reinterpret_cast<uv_stream_t*>(h);
}

}  // namespace

TcpPipe::Side::Side(TcpPipe* owner) : pipe(owner), writer(as_stream(&tcp), this, &TcpPipe::on_write_done) {}

TcpPipe::TcpPipe(uv_loop_t* loop, Owner& owner) : owner_(owner), client_(this), upstream_(this) {
  uv_tcp_init(loop, &client_.tcp);
  uv_tcp_init(loop, &upstream_.tcp);
  client_.tcp.data = &client_;
  upstream_.tcp.data = &upstream_;
}

void TcpPipe::start() {
  start_reading(client_);
  start_reading(upstream_);
}

void TcpPipe::start_reading(Side& s) {
  if (s.reading || s.eof || closing_) return;
  if (uv_read_start(as_stream(&s.tcp), &TcpPipe::on_alloc, &TcpPipe::on_read) == 0) s.reading = true;
}

void TcpPipe::stop_reading(Side& s) {
  if (s.reading) uv_read_stop(as_stream(&s.tcp));
  s.reading = false;
}

void TcpPipe::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
  auto* side = static_cast<Side*>(h->data);
  *buf = side->pipe->owner_.lend_buffer();
  side->block = buf->base;
}

void TcpPipe::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) noexcept {
  auto* side = static_cast<Side*>(s->data);
  TcpPipe* self = side->pipe;
  self->on_data(*side, n);
  if (side->block != nullptr) self->owner_.return_buffer(side->block);
  side->block = nullptr;
}

void TcpPipe::on_data(Side& from, ssize_t n) {
  if (closing_) return;
  Side& to = other(from);
  if (n > 0) {
    uv_buf_t b = uv_buf_init(from.block, static_cast<unsigned>(n));
    if (!to.writer.write(&b, 1)) return close();
    owner_.on_bytes(&from == &client_, static_cast<size_t>(n));
    if (to.writer.queued() > kHighWater) {
      from.paused = true;
      stop_reading(from);
    }
    return;
  }
  if (n == 0) return;
  if (n != UV_EOF) return close();
  from.eof = true;
  stop_reading(from);
  maybe_shutdown(to);
  maybe_finish();
}

// Carries a half-close across once everything read before the EOF is written.
void TcpPipe::maybe_shutdown(Side& towards) {
  Side& source = other(towards);
  if (!source.eof || towards.shut || !towards.writer.idle() || closing_) return;
  towards.shut = true;
  towards.shutdown_req.data = &towards;
  if (uv_shutdown(&towards.shutdown_req, as_stream(&towards.tcp), &TcpPipe::on_shutdown) != 0) close();
}

void TcpPipe::on_shutdown(uv_shutdown_t* req, int status) noexcept {
  auto* side = static_cast<Side*>(req->data);
  if (side->pipe->closing_) return;
  if (status < 0) return side->pipe->close();
  side->pipe->maybe_finish();
}

// Both directions ended and both shutdowns went out: nothing left to carry.
void TcpPipe::maybe_finish() {
  if (client_.eof && upstream_.eof && client_.shut && upstream_.shut) close();
}

void TcpPipe::on_write_done(void* p, int status) {
  auto* to = static_cast<Side*>(p);
  TcpPipe* self = to->pipe;
  if (self->closing_) return;
  if (status < 0) return self->close();
  Side& from = self->other(*to);
  if (from.paused && to->writer.queued() < kLowWater) {
    from.paused = false;
    self->start_reading(from);
  }
  self->maybe_shutdown(*to);
}

void TcpPipe::close() {
  if (closing_) return;
  closing_ = true;
  for (Side* s : {&client_, &upstream_}) {
    s->writer.abandon();
    stop_reading(*s);
    close_handle(reinterpret_cast<uv_handle_t*>(&s->tcp), &TcpPipe::on_handle_closed);
  }
}

void TcpPipe::on_handle_closed(uv_handle_t* h) noexcept {
  TcpPipe* self = static_cast<Side*>(h->data)->pipe;
  if (--self->open_handles_ == 0) self->owner_.on_pipe_closed();
}

}  // namespace mesh::net
