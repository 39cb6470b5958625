#include "core/policy/retry.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

namespace mesh::policy {

namespace {

constexpr std::array<std::pair<std::string_view, uint32_t>, 16> kNames = {{
    {"5xx", kRetryOn5xx},
    {"gateway-error", kRetryOnGatewayError},
    {"reset", kRetryOnReset},
    {"connect-failure", kRetryOnConnectFailure},
    {"refused-stream", kRetryOnRefusedStream},
    {"retriable-4xx", kRetryOnRetriable4xx},
    {"retriable-status-codes", kRetryOnRetriableStatusCodes},
    {"reset-before-request", kRetryOnResetBeforeRequest},
    {"envoy-ratelimited", kRetryOnEnvoyRateLimited},
    {"http3-post-connect-failure", kRetryOnHttp3PostConnectFailure},
    {"retriable-headers", kRetryOnRetriableHeaders},
    {"cancelled", kRetryOnCancelled},
    {"deadline-exceeded", kRetryOnDeadlineExceeded},
    {"resource-exhausted", kRetryOnResourceExhausted},
    {"internal", kRetryOnInternal},
    {"unavailable", kRetryOnUnavailable},
}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::optional<uint32_t> status_code(std::string_view s) {
  if (s.empty() || s[0] < '1' || s[0] > '5') return std::nullopt;  // cheap reject for names
  uint32_t code = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), code);
  if (ec != std::errc() || end != s.data() + s.size() || code < 100 || code > 599) return std::nullopt;
  return code;
}

// Calls f(entry) for each comma-separated entry of each string.
template <class F>
void for_each_entry(std::span<const std::string> entries, F&& f) {
  for (const std::string& joined : entries) {
    std::string_view rest = joined;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      f(trim(rest.substr(0, comma)));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
}

constexpr uint32_t kNoResponseBits = kRetryOn5xx | kRetryOnGatewayError | kRetryOnReset;

}  // namespace

bool is_known_retry_on(std::string_view entry) {
  if (status_code(entry)) return true;
  return std::any_of(kNames.begin(), kNames.end(), [&](const auto& n) { return n.first == entry; });
}

uint32_t parse_retry_on(std::span<const std::string> entries) {
  uint32_t bits = 0;
  for_each_entry(entries, [&](std::string_view entry) {
    if (status_code(entry)) {
      bits |= kRetryOnRetriableStatusCodes;
      return;
    }
    for (const auto& [name, bit] : kNames) {
      if (name == entry) {
        bits |= bit;
        return;
      }
    }
  });
  return bits;
}

pc::RetryPolicy istio_default_retry_policy() {
  pc::RetryPolicy p;
  p.attempts = 2;
  p.retry_on = {"connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"};
  p.retriable_status_codes = {503};
  return p;
}

RetryState::RetryState(const pc::RetryPolicy& policy, CircuitBreaker* budget, Random& random)
    : policy_(policy), budget_(budget), random_(random) {}

uint32_t RetryState::on() const {
  if (!parsed_) {
    on_ = parse_retry_on(policy_.retry_on);
    parsed_ = true;
  }
  return on_;
}

bool RetryState::status_listed(uint32_t status) const {
  const auto& codes = policy_.retriable_status_codes;
  if (std::find(codes.begin(), codes.end(), status) != codes.end()) return true;
  bool listed = false;
  for_each_entry(policy_.retry_on, [&](std::string_view e) { listed = listed || status_code(e) == status; });
  return listed;
}

bool RetryState::status_retriable(uint32_t status) const {
  if ((on_ & kRetryOn5xx) && status >= 500 && status <= 599) return true;
  if ((on_ & kRetryOnGatewayError) && (status == 502 || status == 503 || status == 504)) return true;
  if ((on_ & kRetryOnRetriable4xx) && status == 409) return true;
  return (on_ & kRetryOnRetriableStatusCodes) && status_listed(status);
}

bool RetryState::grpc_retriable(uint32_t grpc_status) const {
  switch (grpc_status) {
    case 1:
      return on_ & kRetryOnCancelled;
    case 4:
      return on_ & kRetryOnDeadlineExceeded;
    case 8:
      return on_ & kRetryOnResourceExhausted;
    case 13:
      return on_ & kRetryOnInternal;
    case 14:
      return on_ & kRetryOnUnavailable;
    default:
      return false;
  }
}

// A failure without a response counts as a 5xx (Envoy turns it into one), so
// 5xx and gateway-error cover it as well as reset.
bool RetryState::retriable(const AttemptOutcome& o) const {
  using Failure = AttemptOutcome::Failure;
  on();
  if (!o.request_sent && o.failure != Failure::kNone && (on_ & kRetryOnResetBeforeRequest)) return true;
  switch (o.failure) {
    case Failure::kConnectFailure:
      return on_ & (kNoResponseBits | kRetryOnConnectFailure);
    case Failure::kRefusedStream:
      return on_ & (kNoResponseBits | kRetryOnRefusedStream);
    case Failure::kReset:
    case Failure::kPerTryTimeout:
      return on_ & kNoResponseBits;
    case Failure::kNone:
      break;
  }
  if (o.grpc_status && grpc_retriable(*o.grpc_status)) return true;
  return status_retriable(o.status);
}

RetryDecision RetryState::on_attempt(const AttemptOutcome& outcome) {
  held_.reset();
  // The common case, a plain success, is settled without parsing retryOn.
  const bool plain = outcome.failure == AttemptOutcome::Failure::kNone && !outcome.grpc_status;
  if (plain && outcome.status < 400 && !status_listed(outcome.status)) return RetryDecision::kNoRetry;
  if (!retriable(outcome)) return RetryDecision::kNoRetry;
  if (retries_ >= policy_.attempts) return RetryDecision::kExhausted;
  if (budget_) {
    held_ = ResourceGuard(*budget_, Resource::kRetry);
    if (!held_) return RetryDecision::kBudgetExceeded;
  }
  ++retries_;
  // Envoy's fully jittered backoff: the window doubles per retry up to the max.
  const uint64_t base = static_cast<uint64_t>(kBaseInterval.count());
  const uint64_t window =
      std::min<uint64_t>(base << std::min<uint32_t>(retries_ - 1, 20), kMaxInterval.count());
  backoff_ = std::chrono::milliseconds(random_.below(window));
  return RetryDecision::kRetry;
}

std::optional<std::chrono::nanoseconds> RetryState::attempt_timeout(
    std::chrono::nanoseconds elapsed, std::optional<std::chrono::nanoseconds> route_timeout) const {
  std::optional<std::chrono::nanoseconds> left;
  if (route_timeout) left = std::max(*route_timeout - elapsed, std::chrono::nanoseconds(0));
  if (!policy_.per_try_timeout || policy_.per_try_timeout->count() <= 0) return left;
  return left ? std::min(*left, *policy_.per_try_timeout) : *policy_.per_try_timeout;
}

}  // namespace mesh::policy
