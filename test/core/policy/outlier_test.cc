#include <doctest/doctest.h>

#include "core/policy/outlier.h"

using mesh::policy::LocalFailure;
using mesh::policy::MonoTime;
using mesh::policy::OutlierDetector;
using std::chrono::seconds;

namespace {

std::vector<mesh::pc::Endpoint> endpoints(size_t n) {
  std::vector<mesh::pc::Endpoint> out(n);
  for (size_t i = 0; i < n; ++i) out[i].address = "10.0.0." + std::to_string(i + 1);
  return out;
}

mesh::model::OutlierDetection config(uint32_t consecutive_5xx, int32_t max_ejection_percent = 100) {
  mesh::model::OutlierDetection od;
  od.consecutive_5xx_errors = consecutive_5xx;
  od.max_ejection_percent = max_ejection_percent;
  return od;
}

// A fake clock: the test moves time and sweeps at every interval boundary.
struct Clock {
  MonoTime now{};
  void advance_to(OutlierDetector& d, MonoTime t) {
    while (d.next_sweep() <= t) {
      now = d.next_sweep();
      d.sweep(now);
    }
    now = t;
  }
};

}  // namespace

TEST_CASE("consecutive 5xx ejects; a success in between resets the count") {
  mesh::model::OutlierDetection od;  // all fields unset: Envoy/Istio defaults
  od.max_ejection_percent = 100;
  OutlierDetector d(od, endpoints(3), MonoTime{});
  CHECK(d.settings().consecutive_5xx == 5);
  for (int i = 0; i < 4; ++i) CHECK_FALSE(d.on_response(0, 500, MonoTime{}));
  CHECK_FALSE(d.on_response(0, 200, MonoTime{}));
  for (int i = 0; i < 4; ++i) CHECK_FALSE(d.on_response(0, 503, MonoTime{}));
  CHECK(d.on_response(0, 500, MonoTime{}));
  CHECK(d.ejected(0));
  CHECK(d.times_ejected(0) == 1);
  CHECK(d.usable()[0] == 0);
  CHECK(d.usable()[1] == 1);
  CHECK_FALSE(d.on_response(0, 500, MonoTime{}));  // already out
}

TEST_CASE("ejection lasts baseEjectionTime x times ejected, ended by the interval sweep") {
  auto od = config(1);
  od.interval = seconds(10);
  od.base_ejection_time = seconds(30);
  OutlierDetector d(od, endpoints(2), MonoTime{});
  Clock clock;
  clock.advance_to(d, seconds(1));
  CHECK(d.on_response(1, 500, clock.now));
  clock.advance_to(d, seconds(30));
  CHECK(d.ejected(1));  // until 31 s
  clock.advance_to(d, seconds(40));
  CHECK_FALSE(d.ejected(1));
  CHECK(d.usable()[1] == 1);
  CHECK(d.on_response(1, 502, seconds(41)));
  CHECK(d.times_ejected(1) == 2);  // 60 s this time: until 101 s
  clock.advance_to(d, seconds(100));
  CHECK(d.ejected(1));
  clock.advance_to(d, seconds(110));
  CHECK_FALSE(d.ejected(1));
  // Healthy for a while: the multiplier comes back down.
  clock.advance_to(d, seconds(200));
  CHECK(d.times_ejected(1) == 0);
}

TEST_CASE("consecutive gateway errors count 502/503/504 and connect failures only") {
  mesh::model::OutlierDetection od;
  od.consecutive_5xx_errors = 0;  // off
  od.consecutive_gateway_errors = 3;
  od.max_ejection_percent = 100;
  OutlierDetector d(od, endpoints(2), MonoTime{});
  d.on_response(0, 502, MonoTime{});
  d.on_response(0, 503, MonoTime{});
  CHECK_FALSE(d.on_response(0, 500, MonoTime{}));  // not a gateway error: resets
  for (int i = 0; i < 5; ++i) CHECK_FALSE(d.on_response(0, 500, MonoTime{}));
  d.on_response(0, 504, MonoTime{});
  d.on_local_failure(0, LocalFailure::kConnectFailure, MonoTime{});
  CHECK(d.on_local_failure(0, LocalFailure::kTimeout, MonoTime{}));
  CHECK(d.ejected(0));
}

TEST_CASE("split local-origin errors count on their own") {
  auto od = config(2);
  od.split_external_local_origin_errors = true;
  od.consecutive_local_origin_failures = 3;
  OutlierDetector d(od, endpoints(2), MonoTime{});
  d.on_local_failure(0, LocalFailure::kConnectFailure, MonoTime{});
  d.on_local_failure(0, LocalFailure::kReset, MonoTime{});
  CHECK_FALSE(d.ejected(0));
  CHECK(d.on_local_failure(0, LocalFailure::kConnectFailure, MonoTime{}));
}

TEST_CASE("maxEjectionPercent caps ejections, but the first always happens") {
  OutlierDetector d(config(1, 20), endpoints(10), MonoTime{});
  CHECK(d.on_response(0, 500, MonoTime{}));
  CHECK(d.on_response(1, 500, MonoTime{}));  // 10% ejected < 20%
  CHECK_FALSE(d.on_response(2, 500, MonoTime{}));
  CHECK(d.ejected_count() == 2);

  OutlierDetector small(config(1, 10), endpoints(3), MonoTime{});
  CHECK(small.on_response(0, 500, MonoTime{}));
  CHECK_FALSE(small.on_response(1, 500, MonoTime{}));
}

TEST_CASE("below minHealthPercent every endpoint is used and ejection stops") {
  auto od = config(1);
  od.min_health_percent = 50;
  OutlierDetector d(od, endpoints(4), MonoTime{});
  CHECK(d.on_response(0, 500, MonoTime{}));
  CHECK(d.on_response(1, 500, MonoTime{}));
  CHECK_FALSE(d.panic());  // 50% healthy is not below 50%
  CHECK(d.usable()[0] == 0);
  CHECK(d.on_response(2, 500, MonoTime{}));
  CHECK(d.panic());
  for (uint8_t u : d.usable()) CHECK(u == 1);
  CHECK_FALSE(d.on_response(3, 500, MonoTime{}));
  CHECK_FALSE(d.ejected(3));
}

TEST_CASE("without outlierDetection nothing is ejected and usable follows health") {
  auto eps = endpoints(3);
  eps[2].healthy = false;
  OutlierDetector d(std::nullopt, eps, MonoTime{});
  CHECK_FALSE(d.enabled());
  for (int i = 0; i < 10; ++i) CHECK_FALSE(d.on_response(0, 500, MonoTime{}));
  CHECK(d.usable()[0] == 1);
  CHECK(d.usable()[2] == 0);
  CHECK_FALSE(d.on_response(99, 500, MonoTime{}));  // out of range: ignored
}
