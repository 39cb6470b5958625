#include "proxy/cluster_state.h"

namespace mesh::proxy {

std::string endpoint_key(const pc::Cluster& cluster, const pc::Endpoint& endpoint) {
  return cluster.name + "|" + endpoint.address + "|" + std::to_string(endpoint.port);
}

void ClusterState::update(const pc::Cluster& cluster, std::vector<EndpointPool*> pools, uint64_t seed,
                          uint64_t now_ms) {
  cluster_ = &cluster;
  pools_ = std::move(pools);
  breaker_.set_limits(policy::PoolLimits::from(cluster.connection_pool));
  outlier_.emplace(cluster.outlier_detection, cluster.endpoints, mono(now_ms));
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
