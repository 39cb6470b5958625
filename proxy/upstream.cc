#include "proxy/upstream.h"

#include <algorithm>

#include "proxy/worker.h"

namespace mesh::proxy {

namespace {
template <typename T>
uv_handle_t* as_handle(T* h) {
  return reinterpret_cast<uv_handle_t*>(h);
}
}  // namespace

Upstream::Upstream(Worker& worker, EndpointPool& pool)
    : worker_(worker),
      pool_(pool),
      reader_(net::Http1Reader::Kind::kResponse, worker.buffers(), *this),
      writer_(reinterpret_cast<uv_stream_t*>(&tcp_), this, &Upstream::on_write_done) {
  worker_.stats().upstream_cx_total.add();
  worker_.stats().upstream_cx_active.add();
  ++pool_.counters.cx_total;
  ++pool_.counters.cx_active;
}

Upstream::~Upstream() {
  worker_.stats().upstream_cx_active.sub();
  --pool_.counters.cx_active;
  if (holds_slot_ && pool_.breaker != nullptr) {
    pool_.breaker->release(policy::Resource::kConnection);
    worker_.kick_waiters();  // a request queued for a connection may go now
  }
}

bool Upstream::available(const EndpointPool& pool) {
  if (!pool.idle.empty() || pool.breaker == nullptr) return true;
  return pool.breaker->in_use(policy::Resource::kConnection) < pool.breaker->limits().max_connections;
}

Upstream* Upstream::acquire(Worker& worker, EndpointPool& pool, UpstreamUser* user, bool* reused) {
  while (!pool.idle.empty()) {
    Upstream* up = pool.idle.back();
    pool.idle.pop_back();
    if (up->state_ != State::kIdle) continue;
    up->state_ = State::kBusy;
    up->user_ = user;
    *reused = true;
    worker.stats().upstream_cx_reused.add();
    return up;
  }
  if (pool.breaker != nullptr && !pool.breaker->try_acquire(policy::Resource::kConnection)) {
    worker.stats().upstream_cx_overflow.add();
    return nullptr;
  }
  auto* up = new Upstream(worker, pool);
  up->holds_slot_ = pool.breaker != nullptr;
  up->user_ = user;
  *reused = false;
  up->start_connect();
  return up;
}

void Upstream::start_connect() {
  uv_loop_t* loop = worker_.loop();
  uv_tcp_init(loop, &tcp_);
  uv_timer_init(loop, &timer_);
  tcp_.data = timer_.data = connect_req_.data = this;
  open_handles_ = 2;
  uv_tcp_nodelay(&tcp_, 1);
  int rc = pool_.address_ok
               ? uv_tcp_connect(&connect_req_, &tcp_, reinterpret_cast<const sockaddr*>(&pool_.address),
                                &Upstream::on_connect)
               : UV_EINVAL;
  // Failures are reported from the loop, never from inside acquire().
  connect_failed_early_ = rc != 0;
  uv_timer_start(&timer_, &Upstream::on_timer, rc != 0 ? 0 : pool_.connect_timeout_ms, 0);
}

void Upstream::on_connect(uv_connect_t* req, int status) noexcept {
  auto* self = static_cast<Upstream*>(req->data);
  if (self->state_ == State::kClosing) return;
  if (status < 0) {
    self->fail(UpstreamError::kConnectFailed);
    return;
  }
  uv_timer_stop(&self->timer_);
  self->state_ = State::kBusy;
  self->start_reading();
}

void Upstream::start_reading() {
  read_paused_ = false;
  if (!reading_ &&
      uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &Upstream::on_alloc, &Upstream::on_read) == 0) {
    reading_ = true;
  }
}

void Upstream::pause_reading() {
  read_paused_ = true;
  if (reading_ && state_ != State::kConnecting) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    reading_ = false;
  }
}

void Upstream::resume_reading() {
  if (!read_paused_ || state_ == State::kClosing) return;
  read_paused_ = false;
  if (state_ != State::kConnecting) start_reading();
}

bool Upstream::write(const uv_buf_t* bufs, unsigned n) {
  if (state_ == State::kClosing || write_failed_) return false;
  if (!writer_.write(bufs, n)) {
    write_failed_ = true;  // reported from the loop, not from inside the caller
    uv_timer_start(&timer_, &Upstream::on_timer, 0, 0);
    return false;
  }
  return true;
}

void Upstream::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
  *buf = static_cast<Upstream*>(h->data)->reader_.alloc();
}

void Upstream::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) noexcept {
  auto* self = static_cast<Upstream*>(s->data);
  if (self->state_ == State::kClosing) return;
  if (n > 0) {
    if (self->state_ == State::kIdle) {
      self->close();  // nothing was asked: the upstream is misbehaving or closing
      return;
    }
    // The user stays allocated until a later close callback, so it is safe to
    // call after parsing even if the request ended or failed meanwhile.
    UpstreamUser* user = self->user_;
    if (user != nullptr) user->on_upstream_read_begin();
    self->handle_parse(self->reader_.on_data(static_cast<size_t>(n)));
    if (user != nullptr) user->on_upstream_read_end();
    return;
  }
  self->reader_.on_no_data();
  if (n == 0) return;
  if (self->state_ != State::kBusy) {
    self->close();
    return;
  }
  net::ParseStatus st = self->reader_.finish();
  if (st == net::ParseStatus::kMessageDone) {
    self->keep_alive_ = false;
    self->handle_parse(st);
  } else {
    self->fail(UpstreamError::kReset);
  }
}

void Upstream::handle_parse(net::ParseStatus st) {
  for (;;) {
    switch (st) {
      case net::ParseStatus::kNeedMore:
        return;
      case net::ParseStatus::kError:
      case net::ParseStatus::kUpgrade:
        worker_.stats().upstream_cx_protocol_error.add();
        fail(UpstreamError::kProtocol);
        return;
      case net::ParseStatus::kMessageDone:
        if (informational_) {
          informational_ = false;
          st = reader_.resume();
          continue;
        }
        if (user_ == nullptr) {
          close();
          return;
        }
        user_->on_upstream_complete();
        return;
    }
  }
}

int Upstream::on_head(const net::Http1Head& head) {
  if (user_ == nullptr) return -1;
  if (head.status >= 100 && head.status < 200 && head.status != 101) {
    informational_ = true;  // Expect was answered by the proxy; interim responses end here
    return 0;
  }
  keep_alive_ = head.keep_alive;
  return user_->on_upstream_head(head);
}

void Upstream::on_body(const char* data, size_t len) {
  if (user_ != nullptr && !informational_) user_->on_upstream_body(data, len);
}

void Upstream::on_message_complete() {}

void Upstream::on_timer(uv_timer_t* t) noexcept {
  auto* self = static_cast<Upstream*>(t->data);
  if (self->write_failed_) {
    self->fail(UpstreamError::kReset);
  } else if (self->state_ == State::kConnecting) {
    if (!self->connect_failed_early_) self->worker_.stats().upstream_cx_connect_timeout.add();
    self->fail(self->connect_failed_early_ ? UpstreamError::kConnectFailed : UpstreamError::kConnectTimeout);
  } else if (self->state_ == State::kIdle) {
    uint64_t now = uv_now(self->worker_.loop());
    if (now >= self->idle_deadline_ms_) {
      self->close();
    } else {
      uv_timer_start(t, &Upstream::on_timer, self->idle_deadline_ms_ - now, 0);
    }
  } else {
    self->idle_timer_armed_ = false;  // busy: the idle timer re-arms on release
  }
}

void Upstream::on_write_done(void* p, int status) {
  auto* self = static_cast<Upstream*>(p);
  if (self->state_ == State::kClosing) return;
  if (status < 0) {
    self->fail(self->state_ == State::kConnecting ? UpstreamError::kConnectFailed : UpstreamError::kReset);
  } else if (self->user_ != nullptr && self->writer_.queued() < kLowWater) {
    self->user_->on_upstream_drained();
  }
}

void Upstream::fail(UpstreamError error) {
  if (error == UpstreamError::kConnectFailed || error == UpstreamError::kConnectTimeout) {
    worker_.stats().upstream_cx_connect_fail.add();
    ++pool_.counters.cx_connect_fail;
  }
  UpstreamUser* user = user_;
  user_ = nullptr;
  close();
  if (user != nullptr) user->on_upstream_error(error);
}

void Upstream::release(bool reusable) {
  user_ = nullptr;
  ++served_;
  bool exhausted = pool_.breaker != nullptr && pool_.breaker->connection_exhausted(served_);
  if (state_ != State::kBusy || !reusable || !keep_alive_ || exhausted || !writer_.idle() ||
      reader_.resume() != net::ParseStatus::kNeedMore) {
    close();
    return;
  }
  state_ = State::kIdle;
  informational_ = false;
  if (read_paused_) resume_reading();
  pool_.idle.push_back(this);
  worker_.kick_waiters();
  // Lazily armed: a connection reused within the timeout costs no timer operation.
  idle_deadline_ms_ = uv_now(worker_.loop()) + pool_.idle_timeout_ms;
  if (!idle_timer_armed_) {
    idle_timer_armed_ = true;
    uv_timer_start(&timer_, &Upstream::on_timer, pool_.idle_timeout_ms, 0);
  }
}

void Upstream::abort() {
  user_ = nullptr;
  close();
}

void Upstream::close() {
  if (state_ == State::kClosing) return;
  if (state_ == State::kIdle) {
    auto it = std::find(pool_.idle.begin(), pool_.idle.end(), this);
    if (it != pool_.idle.end()) pool_.idle.erase(it);
  }
  state_ = State::kClosing;
  user_ = nullptr;
  writer_.abandon();
  net::close_handle(as_handle(&tcp_), &Upstream::on_handle_closed);
  net::close_handle(as_handle(&timer_), &Upstream::on_handle_closed);
}

void Upstream::on_handle_closed(uv_handle_t* h) noexcept {
  auto* self = static_cast<Upstream*>(h->data);
  if (--self->open_handles_ == 0) delete self;
}

}  // namespace mesh::proxy
