#include "proxy/cluster_state.h"

#include <unordered_map>

namespace mesh::proxy {

namespace {

// For each new pool, its index among the old ones (pools are per endpoint and
// outlive configs, so the same pointer is the same endpoint).
std::vector<size_t> old_indexes(const std::vector<EndpointPool*>& old_pools,
                                const std::vector<EndpointPool*>& new_pools) {
  std::vector<size_t> from(new_pools.size(), policy::OutlierDetector::kNotCarried);
  std::unordered_map<const EndpointPool*, size_t> where;
  for (size_t i = 0; i < new_pools.size(); ++i) {
    if (i < old_pools.size() && old_pools[i] == new_pools[i]) {
      from[i] = i;  // the usual case: the endpoint list kept its order
      continue;
    }
    if (where.empty()) {
      for (size_t j = 0; j < old_pools.size(); ++j) where.emplace(old_pools[j], j);
    }
    auto it = where.find(new_pools[i]);
    if (it != where.end()) from[i] = it->second;
  }
  return from;
}

}  // namespace

std::string endpoint_key(const pc::Cluster& cluster, const pc::Endpoint& endpoint) {
  return cluster.name + "|" + endpoint.address + "|" + std::to_string(endpoint.port);
}

void ClusterState::update(const pc::Cluster& cluster, std::vector<EndpointPool*> pools, uint64_t seed,
                          uint64_t now_ms) {
  cluster_ = &cluster;
  breaker_.set_limits(policy::PoolLimits::from(cluster.connection_pool));
  std::optional<policy::OutlierDetector> previous = std::move(outlier_);
  outlier_.emplace(cluster.outlier_detection, cluster.endpoints, mono(now_ms));
  if (previous && previous->enabled() && outlier_->enabled()) {
    outlier_->carry_over(*previous, old_indexes(pools_, pools));
  }
  pools_ = std::move(pools);
  lb_.emplace(cluster, outlier_->enabled() ? outlier_->usable() : std::span<const uint8_t>{}, seed);
}

void ClusterState::refresh_balancer() {
  lb_->update_usable(*cluster_, outlier_->usable());
}

std::optional<size_t> ClusterState::pick(const policy::LbContext& ctx, uint64_t now_ms) {
  if (outlier_->enabled() && mono(now_ms) >= outlier_->next_sweep() && outlier_->sweep(mono(now_ms))) {
    refresh_balancer();
  }
  return lb_->pick(ctx);
}

void ClusterState::on_attempt_start(size_t endpoint) {
  lb_->on_request_start(endpoint);
}

void ClusterState::lb_request_end(size_t endpoint, const EndpointPool* pool) {
  if (endpoint < pools_.size() && pools_[endpoint] == pool) lb_->on_request_end(endpoint);
}

void ClusterState::on_outcome(size_t endpoint, const EndpointPool* pool, uint32_t status,
                              std::optional<policy::LocalFailure> failure, uint64_t now_ms) {
  if (endpoint >= pools_.size() || pools_[endpoint] != pool) return;  // from an older config
  if (!outlier_->enabled()) return;
  bool changed = failure ? outlier_->on_local_failure(endpoint, *failure, mono(now_ms))
                         : outlier_->on_response(endpoint, status, mono(now_ms));
  if (changed) refresh_balancer();
}

}  // namespace mesh::proxy
