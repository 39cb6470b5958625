// Per-worker load balancer over one cluster's usable endpoints: Istio's
// ROUND_ROBIN, LEAST_REQUEST (the default), RANDOM, PASSTHROUGH and
// consistentHash (ring hash or maglev). Owned by one worker thread; pick() does
// not allocate. Endpoint weights are respected by every policy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/policy/hash.h"
#include "core/proxyconfig/proxy_config.h"

namespace mesh::policy {

inline constexpr size_t kNoEndpoint = static_cast<size_t>(-1);

struct LbContext {
  std::optional<uint64_t> hash;  // consistent-hash key (see hash_key.h); none: random
  size_t avoid = kNoEndpoint;    // endpoint of the previous try: avoided on retries, as Istio does
};

class LoadBalancer {
 public:
  enum class Policy { kRoundRobin, kLeastRequest, kRandom, kPassthrough, kRingHash, kMaglev };

  // `usable` has one entry per cluster endpoint (non-zero: may be picked, e.g.
  // from OutlierDetector::usable()); empty means "every endpoint marked healthy".
  LoadBalancer(const pc::Cluster& cluster, std::span<const uint8_t> usable = {}, uint64_t seed = 1);

  // Index into cluster.endpoints, or nullopt: no usable endpoint (the caller
  // answers 503 UH) or PASSTHROUGH (the caller uses the original destination).
  std::optional<size_t> pick(const LbContext& ctx = {});

  // Rebuilds the pick structures after health/ejection changes; active request
  // counts are kept. The cluster must be the one this balancer was built from.
  void update_usable(const pc::Cluster& cluster, std::span<const uint8_t> usable);

  // Active request accounting for LEAST_REQUEST (and /clusters); out-of-range or
  // unmatched ends are ignored so a stale index cannot corrupt the counts.
  void on_request_start(size_t endpoint);
  void on_request_end(size_t endpoint);
  uint32_t active_requests(size_t endpoint) const;

  Policy policy() const { return policy_; }
  size_t usable_count() const { return hosts_.size(); }
  // Maglev's lookup table / the hash ring, for tests and /clusters.
  const std::vector<uint32_t>& maglev_table() const { return maglev_; }
  size_t ring_size() const { return ring_.size(); }

 private:
  struct RingEntry {
    uint64_t hash;
    uint32_t endpoint;
  };
  struct EdfEntry {
    double deadline;
    uint32_t order;  // tie-break: stable by position
    uint32_t host;   // index into hosts_
  };

  std::optional<size_t> pick_once(const LbContext& ctx);
  size_t pick_round_robin();
  size_t random_position();  // weighted; an index into hosts_
  size_t pick_least_request();
  size_t pick_ring(uint64_t hash) const;
  void build_ring(const pc::Cluster& cluster, uint64_t min_ring_size);
  void build_maglev(const pc::Cluster& cluster, uint64_t table_size);

  Policy policy_ = Policy::kLeastRequest;
  std::optional<model::ConsistentHashLB> hash_config_;
  Random rng_;
  std::vector<uint32_t> hosts_;       // usable endpoint indices
  std::vector<uint32_t> weights_;     // parallel to hosts_
  std::vector<uint64_t> cumulative_;  // prefix sums of weights_, for weighted random
  bool equal_weights_ = true;
  uint64_t rr_next_ = 0;
  std::vector<EdfEntry> edf_;  // min-heap on deadline, for weighted round robin
  double edf_now_ = 0;
  std::vector<RingEntry> ring_;
  std::vector<uint32_t> maglev_;
  std::vector<uint32_t> active_;  // per cluster endpoint
};

// The smallest prime >= n (maglev tables must have a prime size).
uint64_t next_prime(uint64_t n);

}  // namespace mesh::policy
