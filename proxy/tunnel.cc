#include "proxy/tunnel.h"

#include "proxy/headers.h"
#include "proxy/worker.h"

namespace mesh::proxy {

namespace {

constexpr size_t kSpliceBuffer = 64 * 1024;

uv_stream_t* as_stream(uv_tcp_t* t) {
  return reinterpret_cast<uv_stream_t*>(t);
}

// Inserts lines before the blank line that ends a serialised head.
void insert_before_end(std::string& out, std::string_view lines) {
  if (out.size() >= 2) out.insert(out.size() - 2, lines);
}

}  // namespace

void add_upgrade_headers(const net::Http1Head& head, std::string& out) {
  std::string lines = "upgrade: ";
  lines.append(head.find("upgrade")).append("\r\nconnection: upgrade\r\n");
  insert_before_end(out, lines);
}

Tunnel::Tunnel(Worker& worker, TunnelPeer& peer)
    : worker_(worker),
      peer_(&peer),
      reader_(net::Http1Reader::Kind::kResponse, worker.buffers(), *this),
      writer_(as_stream(&tcp_), this, &Tunnel::on_write_done) {}

Tunnel::~Tunnel() = default;

Tunnel* Tunnel::open(Worker& worker, const EndpointPool& pool, Slots slots, TunnelPeer& peer,
                     std::string_view request_head) {
  auto* t = new Tunnel(worker, peer);
  t->slots_ = std::move(slots);
  uv_tcp_init(worker.loop(), &t->tcp_);
  uv_timer_init(worker.loop(), &t->idle_timer_);
  t->open_handles_ = 2;
  t->tcp_.data = t->connect_req_.data = t->idle_timer_.data = t;
  uv_tcp_nodelay(&t->tcp_, 1);
  t->idle_timeout_ms_ = pool.idle_timeout_ms;
  t->touch();
  if (t->idle_timeout_ms_ > 0)
    uv_timer_start(&t->idle_timer_, &Tunnel::on_idle_timer, t->idle_timeout_ms_, 0);
  int rc = pool.address_ok
               ? uv_tcp_connect(&t->connect_req_, &t->tcp_, reinterpret_cast<const sockaddr*>(&pool.address),
                                &Tunnel::on_connect)
               : UV_EINVAL;
  if (rc != 0) {
    t->mode_ = Mode::kDone;
    t->close();  // the peer hears of it from the close callback, never from inside open()
    return t;
  }
  t->writer_.write(request_head);
  return t;
}

void Tunnel::on_connect(uv_connect_t* req, int status) noexcept {
  auto* self = static_cast<Tunnel*>(req->data);
  if (self->closing_) return;
  if (status < 0) {
    self->mode_ = Mode::kDone;
    self->close();
    return;
  }
  self->start_reading();
}

void Tunnel::start_reading() {
  if (!reading_ && !closing_ && uv_read_start(as_stream(&tcp_), &Tunnel::on_alloc, &Tunnel::on_read) == 0)
    reading_ = true;
}

void Tunnel::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
  auto* self = static_cast<Tunnel*>(h->data);
  if (self->mode_ == Mode::kSplice) {
    *buf = uv_buf_init(self->from_upstream_.get(), kSpliceBuffer);
  } else {
    *buf = self->reader_.alloc();
  }
}

void Tunnel::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) noexcept {
  auto* self = static_cast<Tunnel*>(s->data);
  if (self->closing_) return;
  if (n > 0) {
    self->on_upstream_bytes(static_cast<size_t>(n));
    return;
  }
  if (self->mode_ != Mode::kSplice) self->reader_.on_no_data();
  if (n == 0) return;
  if (self->mode_ == Mode::kPassResponse && self->reader_.finish() == net::ParseStatus::kMessageDone) {
    self->on_message_complete();
    return;
  }
  self->end();
}

void Tunnel::touch() {
  last_active_ms_ = uv_now(worker_.loop());
}

// Re-armed lazily: traffic only moves last_active_ms_, the timer catches up.
void Tunnel::on_idle_timer(uv_timer_t* t) noexcept {
  auto* self = static_cast<Tunnel*>(t->data);
  if (self->closing_) return;
  uint64_t now = uv_now(self->worker_.loop());
  uint64_t deadline = self->last_active_ms_ + self->idle_timeout_ms_;
  if (now < deadline) {
    uv_timer_start(t, &Tunnel::on_idle_timer, deadline - now, 0);
    return;
  }
  self->worker_.stats().upstream_cx_idle_timeout.add();
  self->end();
}

void Tunnel::on_upstream_bytes(size_t n) {
  touch();
  if (mode_ == Mode::kSplice) {
    if (peer_ != nullptr) peer_->tunnel_client_writer().write(std::string_view(from_upstream_.get(), n));
  } else {
    net::ParseStatus st = reader_.on_data(n);
    if (mode_ == Mode::kSplice &&
        (st == net::ParseStatus::kUpgrade || st == net::ParseStatus::kMessageDone)) {
      std::string_view rest = reader_.unparsed();  // the upstream's first tunnelled bytes
      if (peer_ != nullptr && !rest.empty()) peer_->tunnel_client_writer().write(rest);
      reader_.consume_unparsed();
      reader_.release();
    } else if (st == net::ParseStatus::kError) {
      end();
      return;
    }
  }
  if (peer_ != nullptr && peer_->tunnel_client_writer().queued() > kHighWater && reading_) {
    uv_read_stop(as_stream(&tcp_));
    reading_ = false;
    paused_ = true;
  }
}

int Tunnel::on_head(const net::Http1Head& head) {
  if (peer_ == nullptr) return -1;
  peer_->tunnel_response(head.status);
  std::string out;
  ResponseHeadContext ctx;
  if (head.status == 101) {
    mode_ = Mode::kSplice;
    from_upstream_.reset(new char[kSpliceBuffer]);
    build_downstream_response(head, ctx, out);
    add_upgrade_headers(head, out);
  } else {
    mode_ = Mode::kPassResponse;
    chunked_response_ = !head.has_content_length;
    ctx.framing = head.has_content_length ? Framing::kLength : Framing::kChunked;
    ctx.content_length = head.content_length;
    ctx.close = true;
    build_downstream_response(head, ctx, out);
  }
  peer_->tunnel_client_writer().write(out);
  return 0;
}

void Tunnel::on_body(const char* data, size_t len) {
  if (peer_ == nullptr || len == 0) return;
  char header[24];
  uv_buf_t bufs[3];
  unsigned n = 0;
  if (chunked_response_) bufs[n++] = uv_buf_init(header, static_cast<unsigned>(chunk_header(len, header)));
  bufs[n++] = uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(len));
  if (chunked_response_) bufs[n++] = uv_buf_init(const_cast<char*>("\r\n"), 2);
  peer_->tunnel_client_writer().write(bufs, n);
}

void Tunnel::on_message_complete() {
  if (mode_ != Mode::kPassResponse) return;  // a 101 ends its head: the splice starts
  if (peer_ != nullptr && chunked_response_) peer_->tunnel_client_writer().write("0\r\n\r\n");
  end();
}

uv_buf_t Tunnel::client_buffer() {
  if (!from_client_) from_client_.reset(new char[kSpliceBuffer]);
  return uv_buf_init(from_client_.get(), kSpliceBuffer);
}

void Tunnel::from_client(const char* data, size_t len) {
  if (closing_ || mode_ == Mode::kDone) return;
  touch();
  writer_.write(std::string_view(data, len));
  if (writer_.queued() > kHighWater && peer_ != nullptr && !client_paused_) {
    client_paused_ = true;
    peer_->tunnel_pause_client(true);
  }
}

void Tunnel::client_drained() {
  if (paused_ && !closing_) {
    paused_ = false;
    start_reading();
  }
}

void Tunnel::on_write_done(void* p, int status) {
  auto* self = static_cast<Tunnel*>(p);
  if (self->closing_) return;
  if (status < 0) {
    self->end();
    return;
  }
  if (self->close_when_flushed_ && self->writer_.idle()) {
    self->close();
    return;
  }
  if (self->client_paused_ && self->writer_.queued() < kLowWater && self->peer_ != nullptr) {
    self->client_paused_ = false;
    self->peer_->tunnel_pause_client(false);
  }
}

// The upstream side finished (EOF, error, or a passed-on response ended).
void Tunnel::end() {
  mode_ = Mode::kDone;
  close();
}

void Tunnel::detach() {
  peer_ = nullptr;
  if (writer_.idle() || worker_.draining()) {
    close();
  } else {
    close_when_flushed_ = true;
  }
}

void Tunnel::close() {
  if (closing_) return;
  closing_ = true;
  writer_.abandon();
  net::close_handle(reinterpret_cast<uv_handle_t*>(&tcp_), &Tunnel::on_closed);
  net::close_handle(reinterpret_cast<uv_handle_t*>(&idle_timer_), &Tunnel::on_closed);
}

void Tunnel::on_closed(uv_handle_t* h) noexcept {
  auto* self = static_cast<Tunnel*>(h->data);
  if (--self->open_handles_ > 0) return;
  if (self->peer_ != nullptr) self->peer_->tunnel_ended();
  bool held_connection = static_cast<bool>(self->slots_.connection);
  Worker& worker = self->worker_;
  delete self;                                 // gives the pool slots back
  if (held_connection) worker.kick_waiters();  // a request queued for a connection may go now
}

}  // namespace mesh::proxy
