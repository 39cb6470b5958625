// Envoy's retry semantics for Istio's HTTPRetry: which outcomes retryOn makes
// retriable, how many attempts remain, the per-try timeout, the jittered
// exponential backoff and the retry budget (connectionPool.http.maxRetries via
// the cluster's CircuitBreaker). One RetryState per downstream request; it
// allocates nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/policy/circuit_breaker.h"
#include "core/policy/hash.h"
#include "core/proxyconfig/proxy_config.h"

namespace mesh::policy {

// retryOn conditions as bits. Unknown names are ignored (Envoy ignores them too).
enum RetryOn : uint32_t {
  kRetryOn5xx = 1u << 0,
  kRetryOnGatewayError = 1u << 1,
  kRetryOnReset = 1u << 2,
  kRetryOnConnectFailure = 1u << 3,
  kRetryOnRefusedStream = 1u << 4,
  kRetryOnRetriable4xx = 1u << 5,
  kRetryOnRetriableStatusCodes = 1u << 6,
  kRetryOnResetBeforeRequest = 1u << 7,
  kRetryOnEnvoyRateLimited = 1u << 8,
  kRetryOnHttp3PostConnectFailure = 1u << 9,
  kRetryOnRetriableHeaders = 1u << 10,   // accepted; needs headers config we don't have
  kRetryOnCancelled = 1u << 11,          // gRPC status 1
  kRetryOnDeadlineExceeded = 1u << 12,   // 4
  kRetryOnResourceExhausted = 1u << 13,  // 8
  kRetryOnInternal = 1u << 14,           // 13
  kRetryOnUnavailable = 1u << 15,        // 14
};

// Parses the comma-separated entries; a numeric entry (Istio allows "503")
// sets kRetryOnRetriableStatusCodes and counts as a retriable status code.
uint32_t parse_retry_on(std::span<const std::string> entries);
bool is_known_retry_on(std::string_view entry);

// What happened to one attempt.
struct AttemptOutcome {
  enum class Failure { kNone, kConnectFailure, kReset, kRefusedStream, kPerTryTimeout };
  Failure failure = Failure::kNone;
  uint32_t status = 0;                  // response status when failure == kNone
  std::optional<uint32_t> grpc_status;  // grpc-status of the response, if any
  bool request_sent = true;             // false: reset before any request byte went out
};

enum class RetryDecision {
  kNoRetry,         // success or not retriable: pass the outcome on
  kRetry,           // wait backoff(), then try again (on another endpoint if possible)
  kExhausted,       // retriable but no attempts left: pass it on with flag URX
  kBudgetExceeded,  // retriable but maxRetries outstanding retries reached: pass it on
};

// Istio's default when a route sets no retries: 2 attempts on
// connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes(503).
pc::RetryPolicy istio_default_retry_policy();

class RetryState {
 public:
  static constexpr std::chrono::milliseconds kBaseInterval{25};
  static constexpr std::chrono::milliseconds kMaxInterval{250};

  RetryState(const pc::RetryPolicy& policy, CircuitBreaker* budget, Random& random);

  // Call after every attempt. On kRetry the retry budget is held until the
  // next call (or destruction), as Envoy holds it for the retried request.
  RetryDecision on_attempt(const AttemptOutcome& outcome);
  bool retriable(const AttemptOutcome& outcome) const;

  // Backoff before the retry just granted: uniform in [0, min(25ms * 2^(n-1), 250ms)).
  std::chrono::milliseconds backoff() const { return backoff_; }
  uint32_t retries_done() const { return retries_; }
  // The timeout for the next attempt: perTryTimeout, cut to what is left of the
  // route timeout; nullopt when neither applies.
  std::optional<std::chrono::nanoseconds> attempt_timeout(
      std::chrono::nanoseconds elapsed, std::optional<std::chrono::nanoseconds> route_timeout) const;

 private:
  uint32_t on() const;  // retryOn bits, parsed on first need
  bool status_listed(uint32_t status) const;
  bool status_retriable(uint32_t status) const;
  bool grpc_retriable(uint32_t grpc_status) const;

  const pc::RetryPolicy& policy_;
  mutable uint32_t on_ = 0;
  mutable bool parsed_ = false;
  CircuitBreaker* budget_;
  Random& random_;
  ResourceGuard held_;
  uint32_t retries_ = 0;
  std::chrono::milliseconds backoff_{0};
};

}  // namespace mesh::policy
