#include <doctest/doctest.h>

#include <map>
#include <string>

#include "core/policy/load_balancer.h"

using mesh::policy::LbContext;
using mesh::policy::LoadBalancer;
using mesh::policy::xxhash64;
using Simple = mesh::model::LoadBalancerSettings::Simple;
using Algorithm = mesh::model::ConsistentHashLB::Algorithm;

namespace {

mesh::pc::Cluster make_cluster(std::vector<uint32_t> weights, Simple simple = Simple::kRoundRobin) {
  mesh::pc::Cluster c;
  c.name = "outbound|80||svc";
  c.load_balancer.simple = simple;
  for (size_t i = 0; i < weights.size(); ++i) {
    mesh::pc::Endpoint e;
    e.address = "10.0.0." + std::to_string(i + 1);
    e.port = 8080;
    e.weight = weights[i];
    c.endpoints.push_back(e);
  }
  return c;
}

mesh::pc::Cluster hash_cluster(size_t n, Algorithm algorithm, uint64_t size) {
  mesh::pc::Cluster c = make_cluster(std::vector<uint32_t>(n, 1));
  mesh::model::ConsistentHashLB ch;
  ch.key = mesh::model::ConsistentHashLB::Key::kHeader;
  ch.algorithm = algorithm;
  ch.minimum_ring_size = size;
  ch.maglev_table_size = size;
  c.load_balancer.consistent_hash = ch;
  return c;
}

std::map<size_t, int> count_picks(LoadBalancer& lb, int n) {
  std::map<size_t, int> counts;
  for (int i = 0; i < n; ++i) ++counts[lb.pick().value()];
  return counts;
}

}  // namespace

TEST_CASE("round robin visits every endpoint once per cycle") {
  auto c = make_cluster({1, 1, 1});
  LoadBalancer lb(c);
  CHECK(lb.policy() == LoadBalancer::Policy::kRoundRobin);
  for (int cycle = 0; cycle < 3; ++cycle) {
    std::map<size_t, int> counts = count_picks(lb, 3);
    CHECK(counts.size() == 3);
  }
}

TEST_CASE("weighted round robin follows the weights exactly") {
  auto c = make_cluster({1, 2, 3});
  LoadBalancer lb(c);
  auto counts = count_picks(lb, 600);
  CHECK(counts[0] == 100);
  CHECK(counts[1] == 200);
  CHECK(counts[2] == 300);
}

TEST_CASE("random respects weights") {
  auto c = make_cluster({1, 3}, Simple::kRandom);
  LoadBalancer lb(c, {}, 99);
  auto counts = count_picks(lb, 40000);
  CHECK(counts[0] == doctest::Approx(10000).epsilon(0.05));
  CHECK(counts[1] == doctest::Approx(30000).epsilon(0.02));
}

TEST_CASE("least request (the default) avoids the busy endpoint by power of two choices") {
  auto c = make_cluster({1, 1, 1, 1}, Simple::kUnspecified);
  LoadBalancer lb(c, {}, 5);
  CHECK(lb.policy() == LoadBalancer::Policy::kLeastRequest);
  for (int i = 0; i < 10; ++i) lb.on_request_start(0);
  auto counts = count_picks(lb, 32000);
  // Endpoint 0 wins only when both draws are it: 1/16 of picks.
  CHECK(counts[0] == doctest::Approx(2000).epsilon(0.1));
  CHECK(counts[1] == doctest::Approx(10000).epsilon(0.05));
  for (int i = 0; i < 10; ++i) lb.on_request_end(0);
  lb.on_request_end(0);  // unmatched: ignored
  lb.on_request_end(77);
  CHECK(lb.active_requests(0) == 0);
  counts = count_picks(lb, 32000);
  CHECK(counts[0] == doctest::Approx(8000).epsilon(0.05));
}

TEST_CASE("least request with weights prefers the heavier endpoint per active request") {
  auto c = make_cluster({1, 4}, Simple::kLeastRequest);
  LoadBalancer lb(c, {}, 11);
  auto counts = count_picks(lb, 50000);
  // Draws are weighted 1:4; the pair (0, 0) is the only way to get 0 with no load.
  CHECK(counts[0] < counts[1] / 3);
}

TEST_CASE("unhealthy and unusable endpoints are never picked") {
  auto c = make_cluster({1, 1, 1});
  c.endpoints.mutable_at(1).healthy = false;
  LoadBalancer lb(c);
  auto counts = count_picks(lb, 100);
  CHECK(counts.count(1) == 0);
  const std::vector<uint8_t> only_one = {0, 1, 0};
  lb.update_usable(c, only_one);
  counts = count_picks(lb, 10);
  CHECK(counts[1] == 10);
  const std::vector<uint8_t> none = {0, 0, 0};
  lb.update_usable(c, none);
  CHECK_FALSE(lb.pick());
}

TEST_CASE("passthrough never chooses an endpoint") {
  auto c = make_cluster({1}, Simple::kPassthrough);
  LoadBalancer lb(c);
  CHECK(lb.policy() == LoadBalancer::Policy::kPassthrough);
  CHECK_FALSE(lb.pick());
}

TEST_CASE("a retry avoids the previous endpoint") {
  auto c = make_cluster({1, 1});
  LoadBalancer rr(c);
  for (int i = 0; i < 10; ++i) CHECK(rr.pick(LbContext{std::nullopt, 0}) == 1u);
  auto h = hash_cluster(3, Algorithm::kRingHash, 1024);
  LoadBalancer ring(h);
  const LbContext first{xxhash64("user-1")};
  const size_t chosen = ring.pick(first).value();
  CHECK(ring.pick(first) == chosen);
  CHECK(ring.pick(LbContext{first.hash, chosen}) != chosen);
}

TEST_CASE("ring hash: stable picks, balanced shares, minimal movement when an endpoint leaves") {
  auto c = hash_cluster(4, Algorithm::kRingHash, 1024);
  LoadBalancer lb(c);
  CHECK(lb.policy() == LoadBalancer::Policy::kRingHash);
  CHECK(lb.ring_size() >= 1024);
  std::vector<size_t> before;
  std::map<size_t, int> counts;
  for (int k = 0; k < 20000; ++k) {
    before.push_back(lb.pick(LbContext{xxhash64("key-" + std::to_string(k))}).value());
    ++counts[before.back()];
  }
  for (auto& [endpoint, n] : counts) CHECK(n == doctest::Approx(5000).epsilon(0.25));
  const std::vector<uint8_t> without_last = {1, 1, 1, 0};
  lb.update_usable(c, without_last);
  int kept = 0, others = 0;
  for (int k = 0; k < 20000; ++k) {
    const size_t now = lb.pick(LbContext{xxhash64("key-" + std::to_string(k))}).value();
    CHECK(now != 3);
    if (before[k] == 3) continue;
    ++others;
    kept += now == before[k] ? 1 : 0;
  }
  CHECK(kept >= others * 85 / 100);
}

TEST_CASE("ring hash weights give proportional shares") {
  auto c = hash_cluster(2, Algorithm::kRingHash, 4096);
  c.endpoints.mutable_at(1).weight = 3;
  LoadBalancer lb(c);
  int on_heavy = 0;
  for (int k = 0; k < 20000; ++k) on_heavy += lb.pick(LbContext{xxhash64(std::to_string(k))}) == 1u ? 1 : 0;
  CHECK(on_heavy == doctest::Approx(15000).epsilon(0.05));
}

TEST_CASE("maglev table: prime size, every slot filled, near-equal shares, small disruption") {
  auto c = hash_cluster(5, Algorithm::kMaglev, 65537);
  LoadBalancer lb(c);
  CHECK(lb.policy() == LoadBalancer::Policy::kMaglev);
  const std::vector<uint32_t> table = lb.maglev_table();
  REQUIRE(table.size() == 65537);
  std::map<uint32_t, int> slots;
  for (uint32_t e : table) ++slots[e];
  REQUIRE(slots.size() == 5);
  for (auto& [endpoint, n] : slots) CHECK(n == doctest::Approx(65537 / 5).epsilon(0.01));
  const std::vector<uint8_t> without_first = {0, 1, 1, 1, 1};
  lb.update_usable(c, without_first);
  int kept = 0, others = 0;
  for (size_t i = 0; i < table.size(); ++i) {
    CHECK(lb.maglev_table()[i] != 0);
    if (table[i] == 0) continue;
    ++others;
    kept += lb.maglev_table()[i] == table[i] ? 1 : 0;
  }
  CHECK(kept >= others * 90 / 100);
  const uint64_t h = xxhash64("sticky");
  CHECK(lb.pick(LbContext{h}) == lb.pick(LbContext{h}));
}

TEST_CASE("maglev respects weights and rounds the table size up to a prime") {
  auto c = hash_cluster(2, Algorithm::kMaglev, 1000);
  c.endpoints.mutable_at(0).weight = 1;
  c.endpoints.mutable_at(1).weight = 3;
  LoadBalancer lb(c);
  CHECK(lb.maglev_table().size() == 1009);
  CHECK(mesh::policy::next_prime(65537) == 65537);
  int heavy = 0;
  for (uint32_t e : lb.maglev_table()) heavy += e == 1 ? 1 : 0;
  CHECK(heavy == doctest::Approx(1009 * 3 / 4).epsilon(0.01));
}
