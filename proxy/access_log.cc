#include "proxy/access_log.h"

#include <unistd.h>

#include <charconv>
#include <ctime>

#include "core/net/loop.h"
#include "proxy/stats.h"

namespace mesh::proxy {

namespace {

constexpr struct {
  ResponseFlag flag;
  const char* name;
} kFlagNames[] = {{kFlagUH, "UH"}, {kFlagUT, "UT"}, {kFlagLR, "LR"},   {kFlagUF, "UF"},
                  {kFlagUC, "UC"}, {kFlagUO, "UO"}, {kFlagNR, "NR"},   {kFlagDI, "DI"},
                  {kFlagFI, "FI"}, {kFlagDC, "DC"}, {kFlagURX, "URX"}, {kFlagUPE, "UPE"}};

void append_number(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Envoy prints "-" for an empty value.
void append_or_dash(std::string& out, std::string_view v) {
  if (v.empty()) {
    out.push_back('-');
  } else {
    out.append(v);
  }
}

void append_quoted(std::string& out, std::string_view v) {
  out.push_back('"');
  append_or_dash(out, v);
  out.push_back('"');
}

}  // namespace

// 2026-01-02T03:04:05.678Z, as Envoy's default START_TIME.
void append_start_time(std::string& out, int64_t unix_ms) {
  time_t secs = static_cast<time_t>(unix_ms / 1000);
  tm utc{};
  gmtime_r(&secs, &utc);
  char buf[32];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  out.append(buf, n);
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03dZ", static_cast<int>(unix_ms % 1000));
  out.append(ms);
}

void append_flags(std::string& out, uint32_t flags) {
  if (flags == 0) {
    out.push_back('-');
    return;
  }
  bool first = true;
  for (const auto& f : kFlagNames) {
    if ((flags & f.flag) == 0) continue;
    if (!first) out.push_back(',');
    out.append(f.name);
    first = false;
  }
}

void count_flag(WorkerStats& stats, ResponseFlag flag) {
  switch (flag) {
    case kFlagUH:
      return stats.flag_UH.add();
    case kFlagUT:
      return stats.flag_UT.add();
    case kFlagLR:
      return stats.flag_LR.add();
    case kFlagUF:
      return stats.flag_UF.add();
    case kFlagUC:
      return stats.flag_UC.add();
    case kFlagUO:
      return stats.flag_UO.add();
    case kFlagNR:
      return stats.flag_NR.add();
    case kFlagDI:
      return stats.flag_DI.add();
    case kFlagFI:
      return stats.flag_FI.add();
    case kFlagDC:
      return stats.flag_DC.add();
    case kFlagURX:
      return stats.flag_URX.add();
    case kFlagUPE:
      return stats.flag_UPE.add();
  }
}

void RequestLog::reset() {
  *this = RequestLog{};
}

void format_access_log(const RequestLog& log, std::string& out) {
  out.push_back('[');
  append_start_time(out, log.start_unix_ms);
  out.append("] \"");
  append_or_dash(out, log.method);
  out.push_back(' ');
  append_or_dash(out, log.path);
  out.append(log.http10 ? " HTTP/1.0\" " : " HTTP/1.1\" ");
  append_number(out, static_cast<uint64_t>(log.status));
  out.push_back(' ');
  append_flags(out, log.flags);
  out.push_back(' ');
  append_number(out, log.bytes_received);
  out.push_back(' ');
  append_number(out, log.bytes_sent);
  out.push_back(' ');
  append_number(out, log.duration_ms);
  out.push_back(' ');
  if (log.upstream_service_ms >= 0) {
    append_number(out, static_cast<uint64_t>(log.upstream_service_ms));
  } else {
    out.push_back('-');
  }
  out.push_back(' ');
  append_quoted(out, log.forwarded_for);
  out.push_back(' ');
  append_quoted(out, log.user_agent);
  out.push_back(' ');
  append_quoted(out, log.request_id);
  out.push_back(' ');
  append_quoted(out, log.authority);
  out.push_back(' ');
  append_quoted(out, log.upstream_host);
  out.push_back('\n');
}

AccessLogWriter::AccessLogWriter(uv_loop_t* loop, int fd) : loop_(loop), fd_(fd) {
  uv_check_init(loop_, &check_);
  check_.data = this;
  req_.data = this;
  uv_check_start(&check_, &AccessLogWriter::on_check);
  uv_unref(reinterpret_cast<uv_handle_t*>(&check_));  // logging alone keeps no loop alive
  check_active_ = true;
}

AccessLogWriter::~AccessLogWriter() = default;

void AccessLogWriter::commit(size_t line_start) {
  if (line_start > kMaxPending) {  // the file does not keep up: drop rather than grow
    pending_.resize(line_start);
    ++dropped_;
  }
}

void AccessLogWriter::on_check(uv_check_t* check) noexcept {
  auto* self = static_cast<AccessLogWriter*>(check->data);
  if (!self->writing_ && !self->pending_.empty()) self->start_write();
}

void AccessLogWriter::start_write() {
  in_flight_.swap(pending_);
  pending_.clear();
  writing_ = true;
  uv_buf_t b = uv_buf_init(in_flight_.data(), static_cast<unsigned>(in_flight_.size()));
  if (uv_fs_write(loop_, &req_, fd_, &b, 1, -1, &AccessLogWriter::on_written) != 0) {
    writing_ = false;
    in_flight_.clear();
  }
}

void AccessLogWriter::on_written(uv_fs_t* req) noexcept {
  auto* self = static_cast<AccessLogWriter*>(req->data);
  // A short write to a file or pipe: write the rest next (rare; keeps order).
  ssize_t n = req->result;
  uv_fs_req_cleanup(req);
  self->writing_ = false;
  if (n > 0 && static_cast<size_t>(n) < self->in_flight_.size()) {
    self->in_flight_.erase(0, static_cast<size_t>(n));
    self->pending_.insert(0, self->in_flight_);
  }
  self->in_flight_.clear();
}

void AccessLogWriter::shutdown() {
  while (writing_) uv_run(loop_, UV_RUN_ONCE);
  // The loop has stopped: the last lines go out synchronously.
  size_t off = 0;
  while (off < pending_.size()) {
    ssize_t n = ::write(fd_, pending_.data() + off, pending_.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  pending_.clear();
  if (check_active_) net::close_handle(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
  check_active_ = false;
}

}  // namespace mesh::proxy
