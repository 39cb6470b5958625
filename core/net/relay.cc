#include "core/net/relay.h"

#include <unistd.h>

#include <array>
#include <cstring>

#include "core/net/loop.h"
#include "core/net/tcp.h"

namespace mesh::net {

// One relayed connection: the accepted client and the upstream, each with its
// writer. Reading from one side stops while the other side's queue is above
// kHighWater and resumes below kLowWater, so a slow reader never makes the
// relay buffer without limit.
class RelayConn {
 public:
  static constexpr size_t kHighWater = 256 * 1024;
  static constexpr size_t kLowWater = 64 * 1024;

  explicit RelayConn(PortForward& owner) : owner_(owner), client_(this), upstream_(this) {}
  bool start(uv_stream_t* server);
  void close();

 private:
  struct Side {
    explicit Side(RelayConn* c)
        : conn(c), writer(reinterpret_cast<uv_stream_t*>(&tcp), this, &RelayConn::on_written) {}
    RelayConn* conn;
    uv_tcp_t tcp{};
    Writer writer;
    uv_shutdown_t shutdown_req{};
    std::array<char, 64 * 1024> buffer{};
    bool open = false, reading = false, paused = false, eof = false, shut = false;
  };

  Side& other(Side& s) { return &s == &client_ ? upstream_ : client_; }
  bool connect_upstream();
  void start_reading(Side& s);
  void on_data(Side& from, ssize_t n);
  void maybe_shutdown(Side& towards);
  static void on_connect(uv_connect_t* req, int status) noexcept;
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) noexcept;
  static void on_written(void* side, int status);
  static void on_closed(uv_handle_t* h) noexcept;

  PortForward& owner_;
  Side client_, upstream_;
  uv_connect_t connect_req_{};
  int open_handles_ = 0;
  bool closing_ = false;
};

bool RelayConn::start(uv_stream_t* server) {
  uv_tcp_init(server->loop, &client_.tcp);
  client_.tcp.data = &client_;
  client_.open = true;
  ++open_handles_;
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&client_.tcp)) != 0) return false;
  uv_tcp_nodelay(&client_.tcp, 1);
  return connect_upstream();
}

bool RelayConn::connect_upstream() {
  const int fd = owner_.make_socket_(owner_.to_.ss_family);
  if (fd < 0) return false;
  uv_tcp_init(owner_.loop_, &upstream_.tcp);
  upstream_.tcp.data = &upstream_;
  upstream_.open = true;
  ++open_handles_;
  if (uv_tcp_open(&upstream_.tcp, fd) != 0) {
    ::close(fd);
    return false;
  }
  uv_tcp_nodelay(&upstream_.tcp, 1);
  connect_req_.data = this;
  return uv_tcp_connect(&connect_req_, &upstream_.tcp, reinterpret_cast<const sockaddr*>(&owner_.to_),
                        &RelayConn::on_connect) == 0;
}

void RelayConn::on_connect(uv_connect_t* req, int status) noexcept {
  auto* self = static_cast<RelayConn*>(req->data);
  if (self->closing_) return;
  if (status != 0) return self->close();
  self->start_reading(self->client_);
  self->start_reading(self->upstream_);
}

void RelayConn::start_reading(Side& s) {
  if (s.eof || s.reading) return;
  s.reading = true;
  s.paused = false;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&s.tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* side = static_cast<Side*>(h->data);
        *buf = uv_buf_init(side->buffer.data(), static_cast<unsigned>(side->buffer.size()));
      },
      &RelayConn::on_read);
}

void RelayConn::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) noexcept {
  auto* side = static_cast<Side*>(s->data);
  if (n != 0) side->conn->on_data(*side, n);
}

void RelayConn::on_data(Side& from, ssize_t n) {
  Side& to = other(from);
  if (n == UV_EOF) {
    from.eof = true;
    from.reading = false;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&from.tcp));
    maybe_shutdown(to);
    return;
  }
  if (n < 0) return close();
  if (!to.writer.write(std::string_view(from.buffer.data(), static_cast<size_t>(n)))) return close();
  if (to.writer.queued() > kHighWater) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&from.tcp));
    from.reading = false;
    from.paused = true;
  }
}

// Carries a half-close across once everything read before the EOF is written.
void RelayConn::maybe_shutdown(Side& towards) {
  if (closing_ || towards.shut || !other(towards).eof || !towards.writer.idle()) return;
  towards.shut = true;
  towards.shutdown_req.data = &towards;
  int rc = uv_shutdown(&towards.shutdown_req, reinterpret_cast<uv_stream_t*>(&towards.tcp),
                       [](uv_shutdown_t* req, int) {
                         auto* side = static_cast<Side*>(req->data);
                         RelayConn* c = side->conn;
                         if (!c->closing_ && c->client_.shut && c->upstream_.shut) c->close();
                       });
  if (rc != 0) close();
}

void RelayConn::on_written(void* side_ptr, int status) {
  auto* to = static_cast<Side*>(side_ptr);
  RelayConn* c = to->conn;
  if (c->closing_) return;
  if (status < 0) return c->close();
  Side& from = c->other(*to);
  if (from.paused && to->writer.queued() < kLowWater) c->start_reading(from);
  c->maybe_shutdown(*to);
}

void RelayConn::close() {
  if (closing_) return;
  closing_ = true;
  for (Side* s : {&client_, &upstream_}) {
    s->writer.abandon();
    if (s->open) close_handle(reinterpret_cast<uv_handle_t*>(&s->tcp), &RelayConn::on_closed);
  }
}

void RelayConn::on_closed(uv_handle_t* h) noexcept {
  RelayConn* c = static_cast<Side*>(h->data)->conn;
  if (--c->open_handles_ > 0) return;
  PortForward& owner = c->owner_;
  owner.forget(c);
  delete c;
}

PortForward::PortForward(uv_loop_t* loop, const sockaddr_storage& to, SocketFactory make_socket)
    : loop_(loop), to_(to), make_socket_(std::move(make_socket)) {}

PortForward::~PortForward() = default;

int PortForward::listen(const sockaddr_storage& from) {
  listener_.data = this;
  listening_ = true;
  listener_closed_ = false;
  int rc = tcp_listen(loop_, &listener_, reinterpret_cast<const sockaddr*>(&from), false, 128,
                      &PortForward::on_connection);
  if (rc == 0) port_ = bound_port(&listener_);
  return rc;
}

void PortForward::on_connection(uv_stream_t* server, int status) noexcept {
  auto* self = static_cast<PortForward*>(server->data);
  if (status != 0 || self->closing_) return;
  auto* conn = new RelayConn(*self);
  self->conns_.insert(conn);
  if (!conn->start(server)) conn->close();
}

void PortForward::forget(RelayConn* conn) {
  conns_.erase(conn);
  maybe_done();
}

void PortForward::close(std::function<void()> done) {
  closing_ = true;
  done_ = std::move(done);
  if (listening_) {
    listening_ = false;
    close_handle(reinterpret_cast<uv_handle_t*>(&listener_), [](uv_handle_t* h) {
      auto* self = static_cast<PortForward*>(h->data);
      self->listener_closed_ = true;
      self->maybe_done();
    });
  }
  std::unordered_set<RelayConn*> conns = conns_;
  for (RelayConn* c : conns) c->close();
  maybe_done();
}

void PortForward::maybe_done() {
  if (!closing_ || !listener_closed_ || !conns_.empty() || !done_) return;
  std::function<void()> done = std::move(done_);
  done_ = nullptr;
  done();
}

}  // namespace mesh::net
