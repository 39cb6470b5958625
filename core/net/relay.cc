#include "core/net/relay.h"

#include <unistd.h>

#include <array>
#include <cstring>

#include "core/net/loop.h"
#include "core/net/tcp.h"
#include "core/net/tcp_pipe.h"

namespace mesh::net {

// One relayed connection: the accepted client, the upstream made by the
// factory, and the pipe between them. Reads are one at a time on the loop,
// so one buffer serves both directions.
class RelayConn final : TcpPipe::Owner {
 public:
  explicit RelayConn(PortForward& owner) : owner_(owner), pipe_(owner.loop_, *this) {}
  bool start(uv_stream_t* server);
  void close() { pipe_.close(); }

 private:
  uv_buf_t lend_buffer() override { return uv_buf_init(buffer_.data(), static_cast<unsigned>(buffer_.size())); }
  void return_buffer(char*) override {}
  void on_bytes(bool, size_t) override {}
  void on_pipe_closed() override {
    PortForward& owner = owner_;
    owner.forget(this);
    delete this;
  }
  static void on_connect(uv_connect_t* req, int status) noexcept;

  PortForward& owner_;
  TcpPipe pipe_;
  uv_connect_t connect_req_{};
  std::array<char, 64 * 1024> buffer_{};
};

// The client is not read until the upstream answers.
bool RelayConn::start(uv_stream_t* server) {
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(pipe_.client())) != 0) return false;
  uv_tcp_nodelay(pipe_.client(), 1);
  const int fd = owner_.make_socket_(owner_.to_.ss_family);
  if (fd < 0) return false;
  if (uv_tcp_open(pipe_.upstream(), fd) != 0) {
    ::close(fd);
    return false;
  }
  uv_tcp_nodelay(pipe_.upstream(), 1);
  connect_req_.data = this;
  return uv_tcp_connect(&connect_req_, pipe_.upstream(), reinterpret_cast<const sockaddr*>(&owner_.to_),
                        &RelayConn::on_connect) == 0;
}

void RelayConn::on_connect(uv_connect_t* req, int status) noexcept {
  auto* self = static_cast<RelayConn*>(req->data);
  if (self->pipe_.closing()) return;
  if (status != 0) return self->close();
  self->pipe_.start();
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
