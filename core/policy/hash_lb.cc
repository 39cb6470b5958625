// The consistent-hash structures of LoadBalancer: Envoy's ring hash and maglev,
// both keyed by the endpoint's "address:port" so a key keeps its endpoint
// across rebuilds as long as that endpoint stays.
#include <algorithm>
#include <cmath>
#include <string>

#include "core/policy/load_balancer.h"

namespace mesh::policy {

namespace {

constexpr uint64_t kMaxRingSize = 8 * 1024 * 1024;  // Envoy's maximum_ring_size default

std::string endpoint_key(const pc::Endpoint& e) {
  return e.address + ":" + std::to_string(e.port);
}

bool is_prime(uint64_t n) {
  if (n < 2) return false;
  for (uint64_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

}  // namespace

uint64_t next_prime(uint64_t n) {
  while (!is_prime(n)) ++n;
  return n;
}

// Each host gets hash points in proportion to its weight; the lightest host
// gets at least ceil(min_ring_size * its share) points, the ring at most 8M.
void LoadBalancer::build_ring(const pc::Cluster& cluster, uint64_t min_ring_size) {
  if (hosts_.empty()) return;
  const double total = static_cast<double>(cumulative_.back());
  const double min_share = *std::min_element(weights_.begin(), weights_.end()) / total;
  const double wanted = std::ceil(min_share * static_cast<double>(std::max<uint64_t>(min_ring_size, 1)));
  const double scale = std::min(wanted / min_share, static_cast<double>(kMaxRingSize));
  double target = 0;
  uint64_t placed = 0;
  for (size_t h = 0; h < hosts_.size(); ++h) {
    const std::string key = endpoint_key(cluster.endpoints[hosts_[h]]) + "_";
    target += scale * (weights_[h] / total);
    for (uint64_t i = 0; static_cast<double>(placed) < target; ++i, ++placed) {
      ring_.push_back({xxhash64(key + std::to_string(i)), hosts_[h]});
    }
  }
  std::sort(ring_.begin(), ring_.end(), [](const RingEntry& a, const RingEntry& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.endpoint < b.endpoint;
  });
}

// The first ring point at or after the hash, wrapping around.
size_t LoadBalancer::pick_ring(uint64_t hash) const {
  const auto it = std::lower_bound(ring_.begin(), ring_.end(), hash,
                                   [](const RingEntry& e, uint64_t h) { return e.hash < h; });
  return it == ring_.end() ? ring_.front().endpoint : it->endpoint;
}

// Maglev (Eisenbud et al.): every host walks its own permutation of the table
// (offset, skip from two hashes of its key) and claims the next free slot in
// turn; a host takes a turn only once its weight has earned it, so slot counts
// follow the weights.
void LoadBalancer::build_maglev(const pc::Cluster& cluster, uint64_t table_size) {
  if (hosts_.empty()) return;
  const uint64_t size = next_prime(std::max<uint64_t>(table_size, 2));
  struct Walk {
    uint64_t offset, skip, next = 0, count = 0;
  };
  std::vector<Walk> walks;
  for (uint32_t endpoint : hosts_) {
    const std::string key = endpoint_key(cluster.endpoints[endpoint]);
    walks.push_back({xxhash64(key, 0) % size, xxhash64(key, 1) % (size - 1) + 1});
  }
  const uint64_t max_weight = *std::max_element(weights_.begin(), weights_.end());
  constexpr uint32_t kFree = static_cast<uint32_t>(-1);
  maglev_.assign(size, kFree);
  uint64_t filled = 0;
  for (uint64_t round = 1; filled < size; ++round) {
    for (size_t h = 0; h < hosts_.size() && filled < size; ++h) {
      Walk& w = walks[h];
      if (weights_[h] * round < max_weight * (w.count + 1)) continue;  // not earned yet
      uint64_t slot = (w.offset + w.next * w.skip) % size;
      while (maglev_[slot] != kFree) slot = (w.offset + ++w.next * w.skip) % size;
      maglev_[slot] = hosts_[h];
      ++w.next;
      ++w.count;
      ++filled;
    }
  }
}

}  // namespace mesh::policy
