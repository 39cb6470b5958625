// TCP plumbing over libuv: listeners with SO_REUSEPORT, addresses, and a writer that
// gathers several buffers into one writev and tracks how much is still queued so the
// caller can apply back-pressure.
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace mesh::net {

// "1.2.3.4:80", "[::1]:80" or "host:port" with a literal IP. Returns false when malformed.
bool parse_host_port(std::string_view text, std::string& host, uint16_t& port);
// Fills `out` from a literal IPv4/IPv6 address; returns a libuv error code.
int make_address(const std::string& ip, uint16_t port, sockaddr_storage& out);

// Initialises `handle` on `loop`, sets SO_REUSEPORT (when asked) before binding,
// and listens. Returns 0 or a libuv error; on error the handle still needs closing.
int tcp_listen(uv_loop_t* loop, uv_tcp_t* handle, const sockaddr* addr, bool reuseport, int backlog,
               uv_connection_cb on_connection);
// The port a bound handle listens on (0 when unknown).
uint16_t bound_port(const uv_tcp_t* handle);
// A plain non-blocking listening socket with SO_REUSEADDR and SO_REUSEPORT, for
// listeners whose sockets are made off their loop or shared by several workers.
// Returns the fd or a libuv error (< 0).
int listen_socket(const sockaddr* addr, int backlog);
// The port a socket is bound to (0 when unknown).
uint16_t socket_port(int fd);
// The peer's IP as text ("" when unknown).
std::string peer_ip(const uv_tcp_t* handle);

// Outgoing bytes of one stream. write() tries the socket first (no copy, no request
// object when the kernel takes everything) and queues the rest. At most one uv_write
// is in flight; bytes queued meanwhile go out together when it completes.
class Writer {
 public:
  using DoneFn = void (*)(void* owner, int status);

  Writer(uv_stream_t* stream, void* owner, DoneFn on_done) : stream_(stream), owner_(owner), done_(on_done) {}
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Returns false when the stream failed (the caller should close it).
  bool write(const uv_buf_t* bufs, unsigned n);
  bool write(std::string_view a) {
    uv_buf_t b = uv_buf_init(const_cast<char*>(a.data()), static_cast<unsigned>(a.size()));
    return write(&b, 1);
  }
  // While corked, writes only queue; uncork() sends everything queued in one go.
  // Used around one read's worth of parsing so a head and its body leave together.
  void cork() { corked_ = true; }
  bool uncork();
  size_t queued() const { return pending_.size() + inflight_.size() - inflight_skip_; }
  bool idle() const { return !writing_ && pending_.empty(); }
  // Forgets queued bytes; the stream is going away. The in-flight request still
  // completes (with an error) through libuv before the handle's close callback.
  void abandon() { pending_.clear(); }

 private:
  // Corked writes at least this big are not copied: they go out at once,
  // gathered with what is queued.
  static constexpr size_t kCorkCopyLimit = 16 * 1024;
  static constexpr unsigned kMaxGather = 7;
  static constexpr size_t kKeepCapacity = 16 * 1024;  // an idle writer keeps no more

  static void on_write(uv_write_t* req, int status) noexcept;
  bool write_gathered(const uv_buf_t* bufs, unsigned n);
  bool start(size_t skip);

  uv_stream_t* stream_;
  void* owner_;
  DoneFn done_;  // called when a queued write finishes (status < 0: failed)
  uv_write_t req_{};
  std::string pending_;
  std::string inflight_;
  size_t inflight_skip_ = 0;  // bytes at the start of inflight_ that were sent before
  bool writing_ = false;
  bool corked_ = false;
};

}  // namespace mesh::net
