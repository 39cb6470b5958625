#include "proxy/passthrough.h"

#include <unistd.h>

#include "proxy/capture.h"
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

TcpRelay::Side::Side(TcpRelay* owner)
    : relay(owner), writer(as_stream(&tcp), this, &TcpRelay::on_write_done) {}

TcpRelay::TcpRelay(Worker& worker, CaptureSet& set)
    : worker_(worker), set_(set), client_(this), upstream_(this) {
  set_.add(this);
  set_.stats().tcp_cx_active.add();
}

TcpRelay::~TcpRelay() {
  set_.stats().tcp_cx_active.sub();
  set_.remove(this);
}

void TcpRelay::start(Worker& worker, CaptureSet& set, uv_os_sock_t client_fd, const sockaddr_storage& to,
                     const sockaddr_storage* source) {
  auto* relay = new TcpRelay(worker, set);
  if (!relay->connect(client_fd, to, source)) relay->close();
}

// Opens all three handles (so close() has a fixed count), then connects. The
// client is not read until the upstream answers, so a refused connect ends
// with the client's bytes unread, as a reset.
bool TcpRelay::connect(uv_os_sock_t client_fd, const sockaddr_storage& to, const sockaddr_storage* source) {
  uv_loop_t* loop = worker_.loop();
  uv_tcp_init(loop, &client_.tcp);
  uv_tcp_init(loop, &upstream_.tcp);
  uv_timer_init(loop, &timer_);
  open_handles_ = 3;
  client_.tcp.data = &client_;
  upstream_.tcp.data = &upstream_;
  timer_.data = connect_req_.data = this;
  if (uv_tcp_open(&client_.tcp, client_fd) != 0) {
    ::close(client_fd);
    return false;
  }
  uv_tcp_nodelay(&upstream_.tcp, 1);
  if (source != nullptr && uv_tcp_bind(&upstream_.tcp, reinterpret_cast<const sockaddr*>(source), 0) != 0) {
    set_.stats().tcp_cx_bind_fail.add();
  }
  int rc = uv_tcp_connect(&connect_req_, &upstream_.tcp, reinterpret_cast<const sockaddr*>(&to),
                          &TcpRelay::on_connect);
  if (rc != 0) {
    set_.stats().tcp_cx_connect_fail.add();
    return false;
  }
  uv_timer_start(&timer_, &TcpRelay::on_timer, worker_.settings().connect_timeout_ms, 0);
  return true;
}

void TcpRelay::on_connect(uv_connect_t* req, int status) noexcept {
  auto* self = static_cast<TcpRelay*>(req->data);
  if (self->closing_) return;
  uv_timer_stop(&self->timer_);
  if (status < 0) {
    self->set_.stats().tcp_cx_connect_fail.add();
    self->close();
    return;
  }
  self->connected_ = true;
  self->start_reading(self->client_);
  self->start_reading(self->upstream_);
}

void TcpRelay::on_timer(uv_timer_t* t) noexcept {
  auto* self = static_cast<TcpRelay*>(t->data);
  if (self->connected_ || self->closing_) return;
  self->set_.stats().tcp_cx_connect_fail.add();
  self->close();
}

void TcpRelay::start_reading(Side& s) {
  if (s.reading || s.eof || closing_) return;
  if (uv_read_start(as_stream(&s.tcp), &TcpRelay::on_alloc, &TcpRelay::on_read) == 0) s.reading = true;
}

void TcpRelay::stop_reading(Side& s) {
  if (s.reading) uv_read_stop(as_stream(&s.tcp));
  s.reading = false;
}

void TcpRelay::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
  auto* side = static_cast<Side*>(h->data);
  side->block = side->relay->worker_.buffers().acquire();
  *buf = uv_buf_init(side->block, static_cast<unsigned>(net::BufferPool::kBlockSize));
}

void TcpRelay::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) noexcept {
  auto* side = static_cast<Side*>(s->data);
  TcpRelay* self = side->relay;
  self->on_data(*side, n);
  if (side->block != nullptr) self->worker_.buffers().release(side->block);
  side->block = nullptr;
}

// The writer copies what the socket does not take at once, so the block can go
// back to the pool right after.
void TcpRelay::on_data(Side& from, ssize_t n) {
  if (closing_) return;
  Side& to = other(from);
  if (n > 0) {
    uv_buf_t b = uv_buf_init(from.block, static_cast<unsigned>(n));
    if (!to.writer.write(&b, 1)) {
      close();
      return;
    }
    (&from == &client_ ? set_.stats().tcp_bytes_sent : set_.stats().tcp_bytes_received)
        .add(static_cast<uint64_t>(n));
    if (to.writer.queued() > kHighWater) {
      from.paused = true;
      stop_reading(from);
    }
    return;
  }
  if (n == 0) return;
  if (n != UV_EOF) {
    close();
    return;
  }
  from.eof = true;
  stop_reading(from);
  maybe_shutdown(to);
  maybe_finish();
}

void TcpRelay::maybe_shutdown(Side& towards) {
  Side& source = other(towards);
  if (!source.eof || towards.shut || !towards.writer.idle() || closing_) return;
  towards.shut = true;
  towards.shutdown_req.data = &towards;
  if (uv_shutdown(&towards.shutdown_req, as_stream(&towards.tcp), &TcpRelay::on_shutdown) != 0) close();
}

void TcpRelay::on_shutdown(uv_shutdown_t* req, int status) noexcept {
  auto* side = static_cast<Side*>(req->data);
  if (side->relay->closing_) return;
  if (status < 0) {
    side->relay->close();
    return;
  }
  side->relay->maybe_finish();
}

// Both directions ended and both shutdowns went out: nothing left to carry.
void TcpRelay::maybe_finish() {
  if (client_.eof && upstream_.eof && client_.shut && upstream_.shut) close();
}

void TcpRelay::on_write_done(void* p, int status) {
  auto* to = static_cast<Side*>(p);
  TcpRelay* self = to->relay;
  if (self->closing_) return;
  if (status < 0) {
    self->close();
    return;
  }
  Side& from = self->other(*to);
  if (from.paused && to->writer.queued() < kLowWater) {
    from.paused = false;
    self->start_reading(from);
  }
  self->maybe_shutdown(*to);
}

void TcpRelay::close() {
  if (closing_) return;
  closing_ = true;
  client_.writer.abandon();
  upstream_.writer.abandon();
  stop_reading(client_);
  stop_reading(upstream_);
  net::close_handle(as_handle(&client_.tcp), &TcpRelay::on_handle_closed);
  net::close_handle(as_handle(&upstream_.tcp), &TcpRelay::on_handle_closed);
  net::close_handle(as_handle(&timer_), &TcpRelay::on_handle_closed);
}

void TcpRelay::on_handle_closed(uv_handle_t* h) noexcept {
  TcpRelay* self = h->type == UV_TIMER ? static_cast<TcpRelay*>(h->data) : static_cast<Side*>(h->data)->relay;
  if (--self->open_handles_ > 0) return;
  Worker& worker = self->worker_;
  delete self;
  worker.on_capture_closed();
}

}  // namespace mesh::proxy
