#include "core/policy/load_balancer.h"

#include <algorithm>

namespace mesh::policy {

namespace {

using Simple = model::LoadBalancerSettings::Simple;

// Istio retries host selection up to 5 times to avoid the previous host.
constexpr int kHostSelectionAttempts = 5;

LoadBalancer::Policy policy_of(const pc::Cluster& cluster) {
  const pc::LoadBalancer& lb = cluster.load_balancer;
  if (cluster.passthrough || lb.simple == Simple::kPassthrough) return LoadBalancer::Policy::kPassthrough;
  if (lb.consistent_hash) {
    return lb.consistent_hash->algorithm == model::ConsistentHashLB::Algorithm::kMaglev
               ? LoadBalancer::Policy::kMaglev
               : LoadBalancer::Policy::kRingHash;
  }
  switch (lb.simple) {
    case Simple::kRoundRobin:
      return LoadBalancer::Policy::kRoundRobin;
    case Simple::kRandom:
      return LoadBalancer::Policy::kRandom;
    default:  // LEAST_REQUEST, deprecated LEAST_CONN, and unset (Istio's default)
      return LoadBalancer::Policy::kLeastRequest;
  }
}

bool edf_later(const auto& a, const auto& b) {
  return a.deadline != b.deadline ? a.deadline > b.deadline : a.order > b.order;
}

}  // namespace

LoadBalancer::LoadBalancer(const pc::Cluster& cluster, std::span<const uint8_t> usable, uint64_t seed)
    : policy_(policy_of(cluster)),
      hash_config_(cluster.load_balancer.consistent_hash),
      rng_(seed),
      active_(cluster.endpoints.size(), 0) {
  update_usable(cluster, usable);
}

void LoadBalancer::update_usable(const pc::Cluster& cluster, std::span<const uint8_t> usable) {
  hosts_.clear();
  weights_.clear();
  cumulative_.clear();
  uint64_t total = 0;
  for (size_t i = 0; i < cluster.endpoints.size(); ++i) {
    const bool ok = usable.empty() ? cluster.endpoints[i].healthy : (i < usable.size() && usable[i]);
    if (!ok) continue;
    const uint32_t weight = std::max<uint32_t>(cluster.endpoints[i].weight, 1);
    hosts_.push_back(static_cast<uint32_t>(i));
    weights_.push_back(weight);
    total += weight;
    cumulative_.push_back(total);
  }
  if (active_.size() != cluster.endpoints.size()) active_.assign(cluster.endpoints.size(), 0);
  equal_weights_ =
      std::all_of(weights_.begin(), weights_.end(), [&](uint32_t w) { return w == weights_[0]; });
  rr_next_ = hosts_.empty() ? 0 : rng_.below(hosts_.size());  // workers start at different hosts
  edf_.clear();
  edf_now_ = 0;
  for (uint32_t h = 0; h < hosts_.size(); ++h) edf_.push_back({1.0 / weights_[h], h, h});
  std::make_heap(edf_.begin(), edf_.end(), [](const auto& a, const auto& b) { return edf_later(a, b); });
  ring_.clear();
  maglev_.clear();
  if (policy_ == Policy::kRingHash) build_ring(cluster, hash_config_->minimum_ring_size);
  if (policy_ == Policy::kMaglev) build_maglev(cluster, hash_config_->maglev_table_size);
}

std::optional<size_t> LoadBalancer::pick(const LbContext& ctx) {
  if (policy_ == Policy::kPassthrough || hosts_.empty()) return std::nullopt;
  LbContext attempt = ctx;
  std::optional<size_t> chosen;
  for (int i = 0; i < kHostSelectionAttempts; ++i) {
    chosen = pick_once(attempt);
    if (ctx.avoid == kNoEndpoint || hosts_.size() < 2 || *chosen != ctx.avoid) break;
    // A hashing policy would pick the same host again: move the key along.
    if (attempt.hash) attempt.hash = xxhash64({reinterpret_cast<const char*>(&*attempt.hash), 8}, i + 1);
  }
  return chosen;
}

std::optional<size_t> LoadBalancer::pick_once(const LbContext& ctx) {
  switch (policy_) {
    case Policy::kRoundRobin:
      return pick_round_robin();
    case Policy::kRandom:
      return hosts_[random_position()];
    case Policy::kLeastRequest:
      return pick_least_request();
    case Policy::kRingHash:
      return pick_ring(ctx.hash ? *ctx.hash : rng_.next());
    case Policy::kMaglev: {
      const uint64_t hash = ctx.hash ? *ctx.hash : rng_.next();
      return maglev_[hash % maglev_.size()];
    }
    case Policy::kPassthrough:
      break;
  }
  return std::nullopt;
}

// Equal weights: plain rotation. Otherwise earliest-deadline-first, where each
// host's next deadline moves by 1/weight (Envoy's weighted round robin).
size_t LoadBalancer::pick_round_robin() {
  if (equal_weights_) return hosts_[rr_next_++ % hosts_.size()];
  auto later = [](const EdfEntry& a, const EdfEntry& b) { return edf_later(a, b); };
  std::pop_heap(edf_.begin(), edf_.end(), later);
  EdfEntry& top = edf_.back();
  edf_now_ = top.deadline;
  const size_t endpoint = hosts_[top.host];
  top.deadline = edf_now_ + 1.0 / weights_[top.host];
  std::push_heap(edf_.begin(), edf_.end(), later);
  return endpoint;
}

size_t LoadBalancer::random_position() {
  if (equal_weights_) return rng_.below(hosts_.size());
  const uint64_t point = rng_.below(cumulative_.back());
  return static_cast<size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), point) -
                             cumulative_.begin());
}

// Power of two choices: draw two hosts (weighted) and keep the one with fewer
// active requests per unit of weight; ties keep the first draw.
size_t LoadBalancer::pick_least_request() {
  if (hosts_.size() == 1) return hosts_[0];
  const size_t a = random_position();
  const size_t b = random_position();
  const uint64_t active_a = active_[hosts_[a]], active_b = active_[hosts_[b]];
  // (active_b + 1) / w_b < (active_a + 1) / w_a, without division.
  const bool b_better = (active_b + 1) * weights_[a] < (active_a + 1) * weights_[b];
  return hosts_[b_better ? b : a];
}

void LoadBalancer::on_request_start(size_t endpoint) {
  if (endpoint < active_.size()) ++active_[endpoint];
}

void LoadBalancer::on_request_end(size_t endpoint) {
  if (endpoint < active_.size() && active_[endpoint] > 0) --active_[endpoint];
}

uint32_t LoadBalancer::active_requests(size_t endpoint) const {
  return endpoint < active_.size() ? active_[endpoint] : 0;
}

}  // namespace mesh::policy
