// One end of a control-plane stream over libuv: frames in, frames out. Used by
// the control plane's server side and the proxy's client side.
//
// Lifetime: a Stream is heap-allocated and deletes itself in its close callback,
// right after telling its handler (on_closed). Callbacks never run synchronously
// from the call that caused them.
#pragma once

#include <uv.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "core/net/tcp.h"
#include "core/xds/messages.h"

namespace mesh::xds {

class Stream;

class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  virtual void on_connected(Stream&) {}
  virtual void on_frame(Stream& stream, std::string payload) = 0;
  // Server side: the peer speaks text (an HTTP request) instead of frames; all bytes so far.
  virtual void on_text(Stream& stream, std::string_view bytes) {
    (void)bytes;
    close_text(stream);
  }
  // The last call; the stream is deleted when it returns.
  virtual void on_closed(Stream& stream, const std::string& reason) = 0;

 private:
  static void close_text(Stream& stream);
};

class Stream {
 public:
  static Stream* create(uv_loop_t* loop, StreamHandler& handler) { return new Stream(loop, handler); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  uv_tcp_t* tcp() { return &tcp_; }
  // Client: connects; on_connected or on_closed follows. Returns a libuv error (then closes).
  int connect(const sockaddr* address);
  // Server: starts reading after uv_accept; text peers are allowed.
  void start();
  bool send(std::string_view payload);       // one frame
  // One frame whose payload is the parts in order, written without joining them.
  bool send(std::initializer_list<std::string_view> parts);
  bool send_raw(std::string_view bytes);     // text replies
  void close(const std::string& reason);     // idempotent
  void close_when_written();
  bool closing() const { return closing_; }
  std::string peer() const { return net::peer_ip(&tcp_); }
  void* user = nullptr;  // the owner's per-stream state

 private:
  Stream(uv_loop_t* loop, StreamHandler& handler);
  static void on_alloc(uv_handle_t* h, size_t hint, uv_buf_t* buf) noexcept;
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) noexcept;
  static void on_connect(uv_connect_t* req, int status) noexcept;
  static void on_written(void* owner, int status);
  void deliver(const char* data, size_t n);

  StreamHandler& handler_;
  uv_tcp_t tcp_{};
  uv_connect_t connect_req_{};
  net::Writer writer_;
  FrameReader frames_;
  std::string text_;
  char read_buf_[64 * 1024];
  enum class Mode { kUnknown, kFrames, kText } mode_ = Mode::kUnknown;
  bool allow_text_ = false;
  bool closing_ = false;
  bool close_after_write_ = false;
  std::string close_reason_;
};

}  // namespace mesh::xds
