#include "core/xds/stream.h"

#include "core/net/loop.h"

namespace mesh::xds {

void StreamHandler::close_text(Stream& stream) {
  stream.close("not a control-plane stream");
}

Stream::Stream(uv_loop_t* loop, StreamHandler& handler)
    : handler_(handler), writer_(reinterpret_cast<uv_stream_t*>(&tcp_), this, &Stream::on_written) {
  uv_tcp_init(loop, &tcp_);
  tcp_.data = this;
}

int Stream::connect(const sockaddr* address) {
  connect_req_.data = this;
  int rc = uv_tcp_connect(&connect_req_, &tcp_, address, &Stream::on_connect);
  if (rc != 0) close(std::string("connect: ") + uv_strerror(rc));
  return rc;
}

void Stream::on_connect(uv_connect_t* req, int status) noexcept {
  auto* self = static_cast<Stream*>(req->data);
  if (self->closing_) return;
  if (status < 0) {
    self->close(std::string("connect: ") + uv_strerror(status));
    return;
  }
  uv_tcp_nodelay(&self->tcp_, 1);
  self->mode_ = Mode::kFrames;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&self->tcp_), &Stream::on_alloc, &Stream::on_read);
  self->handler_.on_connected(*self);
}

void Stream::start() {
  allow_text_ = true;
  uv_tcp_nodelay(&tcp_, 1);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &Stream::on_alloc, &Stream::on_read);
}

void Stream::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
  auto* self = static_cast<Stream*>(h->data);
  *buf = uv_buf_init(self->read_buf_, sizeof self->read_buf_);
}

void Stream::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) noexcept {
  auto* self = static_cast<Stream*>(s->data);
  if (n < 0) {
    self->close(n == UV_EOF ? "peer closed the stream" : std::string("read: ") + uv_strerror(static_cast<int>(n)));
    return;
  }
  if (n > 0 && !self->closing_) self->deliver(buf->base, static_cast<size_t>(n));
}

void Stream::deliver(const char* data, size_t n) {
  if (mode_ == Mode::kUnknown) {
    // A frame starts with a length below 64 MiB, so its first byte is < 0x04.
    mode_ = allow_text_ && static_cast<unsigned char>(data[0]) >= 0x20 ? Mode::kText : Mode::kFrames;
  }
  if (mode_ == Mode::kText) {
    text_.append(data, n);
    if (text_.size() > 64 * 1024) return close("request too large");
    handler_.on_text(*this, text_);
    return;
  }
  frames_.feed(data, n);
  std::string payload;
  while (!closing_ && frames_.next(payload)) handler_.on_frame(*this, std::move(payload));
  if (frames_.failed()) close("frame larger than 64 MiB");
}

bool Stream::send(std::string_view payload) {
  return send_raw(frame(payload));
}

bool Stream::send(std::initializer_list<std::string_view> parts) {
  if (closing_) return false;
  constexpr size_t kMaxParts = 8;
  if (parts.size() > kMaxParts) {
    std::string joined;
    for (std::string_view p : parts) joined.append(p);
    return send(joined);
  }
  uv_buf_t bufs[kMaxParts + 1];
  size_t length = 0;
  unsigned n = 1;
  for (std::string_view p : parts) {
    bufs[n++] = uv_buf_init(const_cast<char*>(p.data()), static_cast<unsigned>(p.size()));
    length += p.size();
  }
  const std::string header = frame_header(length);
  bufs[0] = uv_buf_init(const_cast<char*>(header.data()), static_cast<unsigned>(header.size()));
  if (!writer_.write(bufs, n)) {
    close("write failed");
    return false;
  }
  return true;
}

bool Stream::send_raw(std::string_view bytes) {
  if (closing_) return false;
  if (!writer_.write(bytes)) {
    close("write failed");
    return false;
  }
  return true;
}

void Stream::close_when_written() {
  close_after_write_ = true;
  if (writer_.idle()) close("done");
}

void Stream::on_written(void* owner, int status) {
  auto* self = static_cast<Stream*>(owner);
  if (status < 0) return self->close(std::string("write: ") + uv_strerror(status));
  if (self->close_after_write_ && self->writer_.idle()) self->close("done");
}

void Stream::close(const std::string& reason) {
  if (closing_) return;
  closing_ = true;
  close_reason_ = reason;
  writer_.abandon();
  net::close_handle(reinterpret_cast<uv_handle_t*>(&tcp_), [](uv_handle_t* h) {
    auto* self = static_cast<Stream*>(h->data);
    self->handler_.on_closed(*self, self->close_reason_);
    delete self;
  });
}

}  // namespace mesh::xds
