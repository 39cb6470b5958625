// The bytes between two connected TCP handles, both ways. Reading from one side
// stops while the other side's queue is above kHighWater and resumes below
// kLowWater, so a slow reader never makes the pipe buffer without limit; an EOF
// is carried across as a shutdown once everything read before it is written,
// and the pipe closes itself when both directions have ended or one fails.
// Its owner connects the handles (the upstream is usually still connecting
// when the pipe is made), lends read buffers, counts bytes, and is told when
// both handles have closed. Used by the proxy's TCP relays (passthrough, TCP
// services) and by PortForward.
#pragma once

#include <uv.h>

#include <cstddef>

#include "core/net/tcp.h"

namespace mesh::net {

class TcpPipe {
 public:
  static constexpr size_t kHighWater = 256 * 1024;
  static constexpr size_t kLowWater = 64 * 1024;

  class Owner {
   public:
    // A read buffer for one read; given back right after it (the writer copies
    // what the socket does not take at once).
    virtual uv_buf_t lend_buffer() = 0;
    virtual void return_buffer(char* base) = 0;
    virtual void on_bytes(bool from_client, size_t n) = 0;
    // Both handles are closed; the owner may free the pipe now.
    virtual void on_pipe_closed() = 0;

   protected:
    ~Owner() = default;
  };

  // Initialises both handles on `loop`; the owner opens/accepts/connects them.
  TcpPipe(uv_loop_t* loop, Owner& owner);
  TcpPipe(const TcpPipe&) = delete;
  TcpPipe& operator=(const TcpPipe&) = delete;

  uv_tcp_t* client() { return &client_.tcp; }
  uv_tcp_t* upstream() { return &upstream_.tcp; }
  // Both connected: start carrying bytes.
  void start();
  // Closes both handles (idempotent); on_pipe_closed() follows.
  void close();
  bool closing() const { return closing_; }

 private:
  // One connection: its handle, the bytes queued towards it, and how its
  // reading half ended.
  struct Side {
    explicit Side(TcpPipe* owner);
    TcpPipe* pipe;
    uv_tcp_t tcp{};
    Writer writer;
    uv_shutdown_t shutdown_req{};
    bool reading = false;
    bool paused = false;  // stopped because the other side's queue is full
    bool eof = false;     // we read EOF from this side
    bool shut = false;    // we shut down writing towards this side
    char* block = nullptr;  // the read buffer lent during a read
  };

  Side& other(Side& s) { return &s == &client_ ? upstream_ : client_; }
  void start_reading(Side& s);
  void stop_reading(Side& s);
  void on_data(Side& from, ssize_t n);
  void maybe_shutdown(Side& towards);
  void maybe_finish();

  static void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept;
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) noexcept;
  static void on_write_done(void* side, int status);
  static void on_shutdown(uv_shutdown_t* req, int status) noexcept;
  static void on_handle_closed(uv_handle_t* h) noexcept;

  Owner& owner_;
  Side client_;
  Side upstream_;
  int open_handles_ = 2;
  bool closing_ = false;
};

}  // namespace mesh::net
