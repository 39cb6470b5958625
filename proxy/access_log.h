// The access log: Envoy's response flags and its default text format, so
// people's debugging habits carry over, e.g.
//   [2026-01-02T03:04:05.678Z] "GET /p HTTP/1.1" 503 UF 0 91 2 - "-" "curl/8" "id" "host" "127.0.0.1:80"
// Lines are formatted on the worker into a per-worker buffer that the loop hands
// to libuv's thread pool once per iteration: the worker never waits on the file.
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace mesh::proxy {

struct WorkerStats;

// Envoy's response flags, in the order Envoy prints them.
enum ResponseFlag : uint32_t {
  kFlagUH = 1u << 0,    // no healthy upstream
  kFlagUT = 1u << 1,    // upstream request timeout
  kFlagLR = 1u << 2,    // connection local reset
  kFlagUF = 1u << 3,    // upstream connection failure
  kFlagUC = 1u << 4,    // upstream connection termination
  kFlagUO = 1u << 5,    // upstream overflow (circuit breaking)
  kFlagNR = 1u << 6,    // no route
  kFlagDI = 1u << 7,    // delay injected
  kFlagFI = 1u << 8,    // fault (abort) injected
  kFlagDC = 1u << 9,    // downstream connection termination
  kFlagURX = 1u << 10,  // retry limit exceeded
  kFlagUPE = 1u << 11,  // upstream protocol error
};

// "UF", "DI,FI", or "-" when none is set.
void append_flags(std::string& out, uint32_t flags);
// Counts the flag in the worker's flag_XX counter.
void count_flag(WorkerStats& stats, ResponseFlag flag);

// One request as the access log sees it. Strings are copied from the request
// head (which does not outlive on_head) only when logging is on.
struct RequestLog {
  int64_t start_unix_ms = 0;
  uint64_t start_loop_ms = 0;
  std::string method, path, authority, forwarded_for, user_agent, request_id, upstream_host;
  bool http10 = false;
  int status = 0;  // 0: no response was started (e.g. the client went away)
  uint32_t flags = 0;
  uint64_t bytes_received = 0, bytes_sent = 0;
  uint64_t duration_ms = 0;
  int64_t upstream_service_ms = -1;  // -1: no upstream answered
  void reset();
};

// 2026-01-02T03:04:05.678Z, as Envoy's default START_TIME.
void append_start_time(std::string& out, int64_t unix_ms);
// Envoy's default format, one line ending in '\n'.
void format_access_log(const RequestLog& log, std::string& out);

// Per worker: lines are appended here and written by the loop.
class AccessLogWriter {
 public:
  static constexpr size_t kMaxPending = 8 << 20;  // beyond this, lines are dropped (counted)

  AccessLogWriter(uv_loop_t* loop, int fd);
  ~AccessLogWriter();
  AccessLogWriter(const AccessLogWriter&) = delete;
  AccessLogWriter& operator=(const AccessLogWriter&) = delete;

  // A buffer to format one line into; commit() once it is there.
  std::string& buffer() { return pending_; }
  void commit(size_t line_start);
  uint64_t dropped() const { return dropped_; }
  // On the loop's thread once it has stopped: finishes writes, closes the handle.
  void shutdown();

 private:
  static void on_check(uv_check_t* check) noexcept;
  static void on_written(uv_fs_t* req) noexcept;
  void start_write();

  uv_loop_t* loop_;
  int fd_;
  uv_check_t check_{};
  uv_fs_t req_{};
  std::string pending_;
  std::string in_flight_;
  bool writing_ = false;
  bool check_active_ = false;
  uint64_t dropped_ = 0;
};

}  // namespace mesh::proxy
