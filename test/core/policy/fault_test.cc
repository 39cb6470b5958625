#include <doctest/doctest.h>

#include <cstring>

#include "core/policy/fault.h"

using namespace mesh::policy;

TEST_CASE("delay and abort follow their percentages independently") {
  mesh::pc::FaultPolicy f;
  f.delay = std::chrono::milliseconds(100);
  f.delay_percent = 30;
  f.abort_status = 503;
  f.abort_percent = 10;
  Random rng(8);
  int delayed = 0, aborted = 0, both = 0;
  const int n = 50000;
  for (int i = 0; i < n; ++i) {
    const FaultDecision d = decide_fault(f, rng);
    delayed += d.delayed() ? 1 : 0;
    aborted += d.aborted() ? 1 : 0;
    both += d.delayed() && d.aborted() ? 1 : 0;
    if (d.delayed()) CHECK(*d.delay == std::chrono::milliseconds(100));
    if (d.aborted()) CHECK(d.abort_status == 503);
  }
  CHECK(delayed == doctest::Approx(n * 0.30).epsilon(0.03));
  CHECK(aborted == doctest::Approx(n * 0.10).epsilon(0.06));
  CHECK(both == doctest::Approx(n * 0.03).epsilon(0.12));
}

TEST_CASE("100% and 0% are exact; flags name what happened") {
  mesh::pc::FaultPolicy f;
  f.abort_status = 418;
  f.abort_percent = 100;
  Random rng(9);
  for (int i = 0; i < 1000; ++i) CHECK(decide_fault(f, rng).abort_status == 418);
  CHECK(std::strcmp(decide_fault(f, rng).flags(), "FI") == 0);
  f.abort_percent = 0;
  CHECK(std::strcmp(decide_fault(f, rng).flags(), "") == 0);
  f.delay = std::chrono::seconds(1);
  f.delay_percent = 100;
  f.abort_percent = 100;
  CHECK(std::strcmp(decide_fault(f, rng).flags(), "DI,FI") == 0);
  f.abort_status = 0;
  CHECK(std::strcmp(decide_fault(f, rng).flags(), "DI") == 0);
}

TEST_CASE("mirror percentage") {
  Random rng(10);
  mesh::pc::MirrorPolicy m;
  int mirrored = 0;
  for (int i = 0; i < 1000; ++i) mirrored += should_mirror(m, rng) ? 1 : 0;
  CHECK(mirrored == 1000);  // default 100%
  m.percent = 25;
  mirrored = 0;
  for (int i = 0; i < 40000; ++i) mirrored += should_mirror(m, rng) ? 1 : 0;
  CHECK(mirrored == doctest::Approx(10000).epsilon(0.05));
}
