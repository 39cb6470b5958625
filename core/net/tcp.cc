#include "core/net/tcp.h"

#include <algorithm>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <charconv>

namespace mesh::net {

bool parse_host_port(std::string_view text, std::string& host, uint16_t& port) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= text.size()) return false;
  std::string_view h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  std::string_view p = text.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc() || end != p.data() + p.size() || value > 65535 || h.empty()) return false;
  host.assign(h);
  port = static_cast<uint16_t>(value);
  return true;
}

int make_address(const std::string& ip, uint16_t port, sockaddr_storage& out) {
  if (ip.find(':') != std::string::npos) {
    return uv_ip6_addr(ip.c_str(), port, reinterpret_cast<sockaddr_in6*>(&out));
  }
  return uv_ip4_addr(ip.c_str(), port, reinterpret_cast<sockaddr_in*>(&out));
}

int tcp_listen(uv_loop_t* loop, uv_tcp_t* handle, const sockaddr* addr, bool reuseport, int backlog,
               uv_connection_cb on_connection) {
  int rc = uv_tcp_init_ex(loop, handle, addr->sa_family);
  if (rc != 0) return rc;
  if (reuseport) {
    uv_os_fd_t fd;
    rc = uv_fileno(reinterpret_cast<uv_handle_t*>(handle), &fd);
    int one = 1;
    if (rc == 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
      rc = uv_translate_sys_error(errno);
    if (rc != 0) return rc;
  }
  rc = uv_tcp_bind(handle, addr, 0);
  if (rc != 0) return rc;
  return uv_listen(reinterpret_cast<uv_stream_t*>(handle), backlog, on_connection);
}

namespace {

uint16_t port_of(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

}  // namespace

uint16_t bound_port(const uv_tcp_t* handle) {
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getsockname(handle, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  return port_of(ss);
}

int listen_socket(const sockaddr* addr, int backlog) {
  int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return uv_translate_sys_error(errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  const socklen_t len = addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (bind(fd, addr, len) != 0 || listen(fd, backlog) != 0) {
    const int err = uv_translate_sys_error(errno);
    close(fd);
    return err;
  }
  return fd;
}

uint16_t socket_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  return port_of(ss);
}

std::string peer_ip(const uv_tcp_t* handle) {
  sockaddr_storage ss{};
  int len = sizeof ss;
  char text[INET6_ADDRSTRLEN] = "";
  if (uv_tcp_getpeername(handle, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "";
  if (ss.ss_family == AF_INET) {
    uv_ip4_name(reinterpret_cast<sockaddr_in*>(&ss), text, sizeof text);
  } else if (ss.ss_family == AF_INET6) {
    uv_ip6_name(reinterpret_cast<sockaddr_in6*>(&ss), text, sizeof text);
  }
  return text;
}

bool Writer::write(const uv_buf_t* bufs, unsigned n) {
  if (corked_) {
    size_t len = 0;
    for (unsigned i = 0; i < n; ++i) len += bufs[i].len;
    if (len < kCorkCopyLimit || n >= kMaxGather) {
      for (unsigned i = 0; i < n; ++i) pending_.append(bufs[i].base, bufs[i].len);
      return true;
    }
    // A big write (a body): copying it to gather it would cost more than the
    // extra syscall saves, so what is queued goes out with it in one writev.
    corked_ = false;
    if (idle() && !pending_.empty()) return write_gathered(bufs, n);
  }
  unsigned i = 0;
  size_t skip = 0;
  if (idle()) {
    int done = uv_try_write(stream_, bufs, n);
    if (done < 0 && done != UV_EAGAIN) return false;
    size_t left = done > 0 ? static_cast<size_t>(done) : 0;
    while (i < n && left >= bufs[i].len) left -= bufs[i++].len;
    skip = left;
    if (i == n) return true;
  }
  for (; i < n; ++i, skip = 0) pending_.append(bufs[i].base + skip, bufs[i].len - skip);
  return writing_ || start(0);
}

// Idle, with bytes queued by cork(): they and `bufs` leave in one writev; only
// what the socket does not take is copied.
bool Writer::write_gathered(const uv_buf_t* bufs, unsigned n) {
  uv_buf_t all[kMaxGather + 1];
  all[0] = uv_buf_init(pending_.data(), static_cast<unsigned>(pending_.size()));
  for (unsigned i = 0; i < n; ++i) all[i + 1] = bufs[i];
  int done = uv_try_write(stream_, all, n + 1);
  if (done < 0 && done != UV_EAGAIN) return false;
  size_t left = done > 0 ? static_cast<size_t>(done) : 0;
  size_t from_pending = std::min(left, pending_.size());
  left -= from_pending;
  unsigned i = 0;
  while (i < n && left >= bufs[i].len) left -= bufs[i++].len;
  if (from_pending == pending_.size() && i == n) {
    pending_.clear();
    return true;
  }
  // The unsent rest is kept from offset `from_pending` on, so nothing is moved.
  for (size_t skip = left; i < n; ++i, skip = 0) pending_.append(bufs[i].base + skip, bufs[i].len - skip);
  return start(from_pending);
}

bool Writer::uncork() {
  corked_ = false;
  if (writing_ || pending_.empty()) return true;
  uv_buf_t b = uv_buf_init(pending_.data(), static_cast<unsigned>(pending_.size()));
  int done = uv_try_write(stream_, &b, 1);
  if (done < 0 && done != UV_EAGAIN) return false;
  size_t sent = done > 0 ? static_cast<size_t>(done) : 0;
  if (sent == pending_.size()) {
    pending_.clear();
    if (pending_.capacity() > kKeepCapacity) std::string().swap(pending_);
    return true;
  }
  return start(sent);
}

// Sends pending_ from `skip` on: the bytes before it already went out.
bool Writer::start(size_t skip) {
  inflight_.swap(pending_);
  pending_.clear();
  inflight_skip_ = skip;
  uv_buf_t b = uv_buf_init(inflight_.data() + skip, static_cast<unsigned>(inflight_.size() - skip));
  req_.data = this;
  if (uv_write(&req_, stream_, &b, 1, &Writer::on_write) != 0) {
    inflight_.clear();
    inflight_skip_ = 0;
    return false;
  }
  writing_ = true;
  return true;
}

void Writer::on_write(uv_write_t* req, int status) noexcept {
  auto* self = static_cast<Writer*>(req->data);
  self->writing_ = false;
  self->inflight_.clear();
  self->inflight_skip_ = 0;
  if (status == 0 && !self->pending_.empty()) {
    // Still streaming: start() swaps the buffers, so the next bytes queue into
    // the capacity just sent instead of a freshly grown string.
    if (!self->start(0)) status = UV_EPIPE;
  } else {
    // Idle (or failed): big buffers go back to the allocator.
    if (self->inflight_.capacity() > kKeepCapacity) std::string().swap(self->inflight_);
    if (self->pending_.empty() && self->pending_.capacity() > kKeepCapacity)
      std::string().swap(self->pending_);
  }
  self->done_(self->owner_, status);
}

}  // namespace mesh::net
