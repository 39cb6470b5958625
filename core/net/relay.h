// A TCP port forwarder: a listener whose every connection is relayed, bytes
// both ways with back-pressure and half-close carried across, to one address.
// The upstream socket comes from a factory, so it can be made inside another
// network namespace: that is how `mesh up` exposes the gateway and the control
// plane, which live on the isolated pod network, on 127.0.0.1 of the machine.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_set>

namespace mesh::net {

// Returns a new non-blocking socket of `family` (AF_INET/AF_INET6), or -errno.
using SocketFactory = std::function<int(int family)>;

class RelayConn;

class PortForward {
 public:
  // Not started; listen() binds. The loop must outlive it.
  PortForward(uv_loop_t* loop, const sockaddr_storage& to, SocketFactory make_socket);
  ~PortForward();
  PortForward(const PortForward&) = delete;
  PortForward& operator=(const PortForward&) = delete;

  // Binds and listens on `from` (port 0: the kernel picks). Returns 0 or a libuv error.
  int listen(const sockaddr_storage& from);
  uint16_t port() const { return port_; }
  size_t connections() const { return conns_.size(); }
  // Stops listening and closes every relayed connection; `done` runs once all
  // handles are closed (the owner may then free this object).
  void close(std::function<void()> done);

 private:
  friend class RelayConn;
  static void on_connection(uv_stream_t* server, int status) noexcept;
  void forget(RelayConn* conn);
  void maybe_done();

  uv_loop_t* loop_;
  sockaddr_storage to_;
  SocketFactory make_socket_;
  uv_tcp_t listener_{};
  bool listening_ = false;
  bool closing_ = false;
  bool listener_closed_ = true;
  uint16_t port_ = 0;
  std::unordered_set<RelayConn*> conns_;
  std::function<void()> done_;
};

}  // namespace mesh::net
