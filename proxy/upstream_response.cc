// Downstream's handling of what the upstream sends back: the response head
// (where a retriable one is dropped for the next attempt), body, completion and
// failures, with Envoy's local replies and response flags.
#include "proxy/downstream.h"
#include "proxy/worker.h"

namespace mesh::proxy {

namespace {

policy::LocalFailure local_failure_of(UpstreamError e) {
  switch (e) {
    case UpstreamError::kConnectFailed:
    case UpstreamError::kConnectTimeout:
      return policy::LocalFailure::kConnectFailure;
    case UpstreamError::kTimeout:
      return policy::LocalFailure::kTimeout;
    default:
      return policy::LocalFailure::kReset;
  }
}

policy::AttemptOutcome::Failure failure_of(UpstreamError e) {
  using Failure = policy::AttemptOutcome::Failure;
  switch (e) {
    case UpstreamError::kConnectFailed:
    case UpstreamError::kConnectTimeout:
      return Failure::kConnectFailure;
    case UpstreamError::kTimeout:
      return Failure::kPerTryTimeout;
    default:
      return Failure::kReset;
  }
}

}  // namespace

int Downstream::on_upstream_head(const net::Http1Head& head) {
  const auto status = static_cast<uint32_t>(head.status);
  report_outcome(status, std::nullopt);
  fwd_.try_deadline_ms = 0;  // the per-try timeout ends with the response head
  if (fwd_.retry && retry_attempt({policy::AttemptOutcome::Failure::kNone, status, std::nullopt, true})) {
    return 0;  // this response is dropped with its connection; the next attempt follows
  }
  arm_forward_timer();
  response_started_ = true;
  count_status(head.status);
  ResponseHeadContext ctx;
  bool no_body = head_request_ || head.status == 204 || head.status == 304;
  if (no_body) {
    response_framing_ = Framing::kNone;
    ctx.keep_content_length = true;
  } else if (head.has_content_length) {
    response_framing_ = Framing::kLength;
  } else if (http10_) {
    response_framing_ = Framing::kUntilClose;
    keep_alive_ = false;
  } else {
    response_framing_ = Framing::kChunked;
  }
  ctx.framing = response_framing_;
  ctx.content_length = head.content_length;
  ctx.close = !keep_alive_;
  ctx.http10_keep_alive = http10_ && keep_alive_;
  ctx.upstream_service_ms = static_cast<int64_t>(uv_now(worker_.loop()) - upstream_sent_ms_);
  ctx.route_ops = route_ ? &route_->response_headers : nullptr;
  ctx.extra_headers = filters_.response_headers;
  if (log_) log_->upstream_service_ms = ctx.upstream_service_ms;
  ctx.destination_ops = destination_ ? &destination_->response_headers : nullptr;
  ctx.set_cookie = fwd_.set_cookie;
  HeaderVars vars{&tcp_, fwd_.pool != nullptr ? &fwd_.pool->address : nullptr, nullptr};
  ctx.vars = &vars;
  std::string& out = worker_.scratch();
  out.clear();
  build_downstream_response(head, ctx, out);
  if (!writer_.write(out)) {
    close();
    return 0;
  }
  return no_body ? 1 : 0;
}

void Downstream::on_upstream_body(const char* data, size_t len) {
  if (closing_ || len == 0) return;
  write_body(response_framing_ == Framing::kChunked, data, len, false);
  if (!closing_ && up_ != nullptr && writer_.queued() > kHighWater) {
    upstream_paused_ = true;
    up_->pause_reading();
  }
}

void Downstream::on_upstream_complete() {
  close_attempt();
  if (response_framing_ == Framing::kChunked) writer_.write("0\r\n\r\n");
  response_complete_ = true;
  Upstream* up = up_;
  up_ = nullptr;
  up->release(request_complete_);
  if (!request_complete_ && discard_rest_of_request()) return;  // the stream ends with the request
  finish_stream();
}

// The upstream answered before the request ended (an early 413, or nginx's
// `return` before it read the body). Like haproxy, the rest of the body is read
// and dropped, so the client is not reset while it still sends (a reset can
// destroy the response it has not read yet) and the connection stays usable.
bool Downstream::discard_rest_of_request() {
  if (!keep_alive_ || worker_.draining()) {
    keep_alive_ = false;
    return false;
  }
  discarding_ = true;
  fwd_.route_deadline_ms = fwd_.try_deadline_ms = fwd_.backoff_until_ms = 0;
  set_timer(TimerMode::kIdle, worker_.settings().idle_timeout_ms);  // a stalled client is closed
  if (read_blocked_) {  // stopped behind the upstream's write queue, which is gone
    read_blocked_ = false;
    start_reading();
  }
  return true;
}

void Downstream::on_upstream_error(UpstreamError error) {
  up_ = nullptr;
  if (error != UpstreamError::kTimeout) {  // the timeout paths report their own outcome
    if (!response_started_) report_outcome(0, local_failure_of(error));
    close_attempt();
  }
  if (response_started_) {
    flag(kFlagUC);
    close();
    return;
  }
  bool connect = error == UpstreamError::kConnectFailed || error == UpstreamError::kConnectTimeout;
  if (error != UpstreamError::kTimeout && retry_attempt({failure_of(error), 0, std::nullopt, !connect}))
    return;
  upstream_failure_reply(error);
}

void Downstream::upstream_failure_reply(UpstreamError error) {
  switch (error) {
    case UpstreamError::kConnectFailed:
    case UpstreamError::kConnectTimeout:
      flag(kFlagUF);
      local_reply(
          503, "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
          false);
      break;
    case UpstreamError::kReset:
      flag(kFlagUC);
      local_reply(
          503,
          "upstream connect error or disconnect/reset before headers. reset reason: connection termination",
          false);
      break;
    case UpstreamError::kProtocol:
      flag(kFlagUPE);
      local_reply(502, "upstream protocol error", false);
      break;
    case UpstreamError::kTimeout:
      flag(kFlagUT);
      local_reply(504, "upstream request timeout", false);
      break;
  }
  if (!request_complete_) {
    keep_alive_ = false;
    close_after_flush();
  }
}

void Downstream::on_upstream_drained() {
  if (read_blocked_) {
    read_blocked_ = false;
    start_reading();
  }
}

void Downstream::on_upstream_read_end() {
  if (closing_) return;
  if (!writer_.uncork()) {
    close();
    return;
  }
  if (close_after_flush_ && writer_.idle()) close();
}

}  // namespace mesh::proxy
