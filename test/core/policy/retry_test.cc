#include <doctest/doctest.h>

#include "core/policy/retry.h"

using namespace mesh::policy;
using Failure = AttemptOutcome::Failure;

namespace {

mesh::pc::RetryPolicy policy(std::vector<std::string> on, uint32_t attempts = 3) {
  mesh::pc::RetryPolicy p;
  p.attempts = attempts;
  p.retry_on = std::move(on);
  return p;
}

bool has(uint32_t bits, uint32_t bit) {
  return (bits & bit) != 0;
}
AttemptOutcome status(uint32_t s) {
  return {Failure::kNone, s, std::nullopt, true};
}
AttemptOutcome failure(Failure f) {
  return {f, 0, std::nullopt, true};
}

}  // namespace

TEST_CASE("retryOn parsing accepts Envoy's names, gRPC names and status codes") {
  const std::vector<std::string> entries = {"5xx,gateway-error",
                                            " reset ",
                                            "connect-failure,refused-stream",
                                            "retriable-4xx",
                                            "unavailable,cancelled",
                                            "503",
                                            "bogus"};
  const uint32_t bits = parse_retry_on(entries);
  CHECK(has(bits, kRetryOn5xx));
  CHECK(has(bits, kRetryOnGatewayError));
  CHECK(has(bits, kRetryOnReset));
  CHECK(has(bits, kRetryOnConnectFailure));
  CHECK(has(bits, kRetryOnRefusedStream));
  CHECK(has(bits, kRetryOnRetriable4xx));
  CHECK(has(bits, kRetryOnUnavailable));
  CHECK(has(bits, kRetryOnCancelled));
  CHECK(has(bits, kRetryOnRetriableStatusCodes));  // from "503"
  CHECK_FALSE(has(bits, kRetryOnInternal));
  CHECK(is_known_retry_on("deadline-exceeded"));
  CHECK_FALSE(is_known_retry_on("bogus"));
}

TEST_CASE("which outcomes each condition retries") {
  Random rng(1);
  auto p5xx = policy({"5xx"});
  RetryState s5xx(p5xx, nullptr, rng);
  CHECK(s5xx.retriable(status(500)));
  CHECK(s5xx.retriable(status(503)));
  CHECK_FALSE(s5xx.retriable(status(404)));
  CHECK(s5xx.retriable(failure(Failure::kConnectFailure)));
  CHECK(s5xx.retriable(failure(Failure::kReset)));
  CHECK(s5xx.retriable(failure(Failure::kPerTryTimeout)));

  auto pgw = policy({"gateway-error"});
  RetryState gw(pgw, nullptr, rng);
  CHECK(gw.retriable(status(502)));
  CHECK(gw.retriable(status(504)));
  CHECK_FALSE(gw.retriable(status(500)));

  auto pcf = policy({"connect-failure"});
  RetryState cf(pcf, nullptr, rng);
  CHECK(cf.retriable(failure(Failure::kConnectFailure)));
  CHECK_FALSE(cf.retriable(failure(Failure::kReset)));
  CHECK_FALSE(cf.retriable(status(503)));

  auto p4xx = policy({"retriable-4xx", "refused-stream"});
  RetryState r4(p4xx, nullptr, rng);
  CHECK(r4.retriable(status(409)));
  CHECK_FALSE(r4.retriable(status(400)));
  CHECK(r4.retriable(failure(Failure::kRefusedStream)));

  auto pcodes = policy({"retriable-status-codes"});
  pcodes.retriable_status_codes = {418};
  RetryState codes(pcodes, nullptr, rng);
  CHECK(codes.retriable(status(418)));
  CHECK_FALSE(codes.retriable(status(503)));
  auto pnum = policy({"429,503"});
  RetryState num(pnum, nullptr, rng);
  CHECK(num.retriable(status(429)));
  CHECK(num.retriable(status(503)));
  CHECK_FALSE(num.retriable(status(500)));

  auto pgrpc = policy({"unavailable"});
  RetryState grpc(pgrpc, nullptr, rng);
  CHECK(grpc.retriable({Failure::kNone, 200, 14, true}));
  CHECK_FALSE(grpc.retriable({Failure::kNone, 200, 13, true}));

  auto pbefore = policy({"reset-before-request"});
  RetryState before(pbefore, nullptr, rng);
  CHECK(before.retriable({Failure::kReset, 0, std::nullopt, false}));
  CHECK_FALSE(before.retriable({Failure::kReset, 0, std::nullopt, true}));
}

TEST_CASE("attempts run out into kExhausted (flag URX)") {
  Random rng(2);
  auto p = policy({"5xx"}, 2);
  RetryState s(p, nullptr, rng);
  CHECK(s.on_attempt(status(503)) == RetryDecision::kRetry);
  CHECK(s.on_attempt(status(503)) == RetryDecision::kRetry);
  CHECK(s.on_attempt(status(503)) == RetryDecision::kExhausted);
  CHECK(s.retries_done() == 2);
  RetryState ok(p, nullptr, rng);
  CHECK(ok.on_attempt(status(200)) == RetryDecision::kNoRetry);
  auto none = policy({"5xx"}, 0);
  RetryState zero(none, nullptr, rng);
  CHECK(zero.on_attempt(status(503)) == RetryDecision::kExhausted);
}

TEST_CASE("Istio's default policy retries connect failures and 503 twice") {
  Random rng(3);
  const auto p = istio_default_retry_policy();
  RetryState s(p, nullptr, rng);
  CHECK(s.retriable(status(503)));
  CHECK_FALSE(s.retriable(status(500)));
  CHECK(s.retriable(failure(Failure::kConnectFailure)));
  CHECK(s.retriable(failure(Failure::kRefusedStream)));
  CHECK_FALSE(s.retriable(failure(Failure::kReset)));
  CHECK(p.attempts == 2);
}

TEST_CASE("jittered exponential backoff stays within Envoy's doubling window, capped at 250 ms") {
  Random rng(4);
  auto p = policy({"5xx"}, 10);
  int64_t max_seen[10] = {};
  for (int run = 0; run < 300; ++run) {
    RetryState s(p, nullptr, rng);
    for (int n = 0; n < 10; ++n) {
      REQUIRE(s.on_attempt(status(503)) == RetryDecision::kRetry);
      const int64_t window = std::min<int64_t>(25LL << n, 250);
      CHECK(s.backoff().count() < window);
      max_seen[n] = std::max<int64_t>(max_seen[n], s.backoff().count());
    }
  }
  CHECK(max_seen[0] >= 20);  // the window is really used
  CHECK(max_seen[3] >= 150);
  CHECK(max_seen[9] >= 200);
}

TEST_CASE("the retry budget (maxRetries) bounds outstanding retries") {
  Random rng(5);
  mesh::model::ConnectionPoolSettings settings;
  settings.http.max_retries = 1;
  CircuitBreaker cb(PoolLimits::from(settings));
  auto p = policy({"5xx"}, 3);
  RetryState a(p, &cb, rng);
  RetryState b(p, &cb, rng);
  CHECK(a.on_attempt(status(503)) == RetryDecision::kRetry);
  CHECK(cb.in_use(Resource::kRetry) == 1);
  CHECK(b.on_attempt(status(503)) == RetryDecision::kBudgetExceeded);
  CHECK(a.on_attempt(status(200)) == RetryDecision::kNoRetry);  // the retry finished
  CHECK(cb.in_use(Resource::kRetry) == 0);
  CHECK(b.on_attempt(status(503)) == RetryDecision::kRetry);
}

TEST_CASE("attempt timeout is perTryTimeout cut to the route's remaining time") {
  Random rng(6);
  using std::chrono::milliseconds;
  auto p = policy({"5xx"});
  RetryState none(p, nullptr, rng);
  CHECK_FALSE(none.attempt_timeout(milliseconds(0), std::nullopt));
  CHECK(none.attempt_timeout(milliseconds(400), milliseconds(1000)) == milliseconds(600));
  p.per_try_timeout = milliseconds(200);
  RetryState s(p, nullptr, rng);
  CHECK(s.attempt_timeout(milliseconds(0), std::nullopt) == milliseconds(200));
  CHECK(s.attempt_timeout(milliseconds(900), milliseconds(1000)) == milliseconds(100));
  CHECK(s.attempt_timeout(milliseconds(1500), milliseconds(1000)) == milliseconds(0));
}
