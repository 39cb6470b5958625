#include "proxy/passthrough.h"

#include <unistd.h>

#include "core/net/loop.h"
#include "proxy/capture.h"
#include "proxy/worker.h"

namespace mesh::proxy {

TcpRelay::TcpRelay(Worker& worker, CaptureSet& set) : worker_(worker), set_(set), pipe_(worker.loop(), *this) {
  uv_timer_init(worker.loop(), &timer_);
  timer_.data = connect_req_.data = this;
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

// The client is not read until the upstream answers, so a refused connect
// ends with the client's bytes unread, as a reset.
bool TcpRelay::connect(uv_os_sock_t client_fd, const sockaddr_storage& to, const sockaddr_storage* source) {
  if (uv_tcp_open(pipe_.client(), client_fd) != 0) {
    ::close(client_fd);
    return false;
  }
  uv_tcp_nodelay(pipe_.upstream(), 1);
  if (source != nullptr && uv_tcp_bind(pipe_.upstream(), reinterpret_cast<const sockaddr*>(source), 0) != 0) {
    set_.stats().tcp_cx_bind_fail.add();
  }
  int rc = uv_tcp_connect(&connect_req_, pipe_.upstream(), reinterpret_cast<const sockaddr*>(&to),
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
  self->pipe_.start();
}

void TcpRelay::on_timer(uv_timer_t* t) noexcept {
  auto* self = static_cast<TcpRelay*>(t->data);
  if (self->connected_ || self->closing_) return;
  self->set_.stats().tcp_cx_connect_fail.add();
  self->close();
}

uv_buf_t TcpRelay::lend_buffer() {
  return uv_buf_init(worker_.buffers().acquire(), static_cast<unsigned>(net::BufferPool::kBlockSize));
}

void TcpRelay::return_buffer(char* base) {
  worker_.buffers().release(base);
}

void TcpRelay::on_bytes(bool from_client, size_t n) {
  (from_client ? set_.stats().tcp_bytes_sent : set_.stats().tcp_bytes_received).add(static_cast<uint64_t>(n));
}

// The pipe may close on its own (both directions done, or an error); the
// timer goes with it either way.
void TcpRelay::close() {
  pipe_.close();
  if (closing_) return;
  closing_ = true;
  net::close_handle(reinterpret_cast<uv_handle_t*>(&timer_), [](uv_handle_t* h) {
    static_cast<TcpRelay*>(h->data)->closed_one();
  });
}

void TcpRelay::closed_one() {
  if (--open_parts_ > 0) {
    if (!closing_) close();  // the pipe ended by itself: close the timer too
    return;
  }
  Worker& worker = worker_;
  delete this;
  worker.on_capture_closed();
}

}  // namespace mesh::proxy
