// A cluster as one worker uses it: its endpoint pools, load balancer, outlier
// detector, connection-pool limits and the requests queued for a connection.
// Kept for the worker's life under the cluster's name and refreshed when a new
// config is first used, so in-flight requests may hold a pointer to it.
// Only the owning worker's thread touches it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/policy/circuit_breaker.h"
#include "core/policy/load_balancer.h"
#include "core/policy/outlier.h"
#include "core/proxyconfig/proxy_config.h"
#include "proxy/upstream.h"

namespace mesh::proxy {

class Downstream;

// "cluster|address|port": names an endpoint's pool and its /clusters entry.
std::string endpoint_key(const pc::Cluster& cluster, const pc::Endpoint& endpoint);

class ClusterState {
 public:
  // Points the state at a config's cluster; the balancer is rebuilt, the
  // outlier state of endpoints the new config keeps carries over, connection
  // counts and queued requests are kept.
  void update(const pc::Cluster& cluster, std::vector<EndpointPool*> pools, uint64_t seed, uint64_t now_ms);
  const pc::Cluster& cluster() const { return *cluster_; }
  uint64_t generation = 0;  // the worker's config generation this state was built for

  size_t size() const { return pools_.size(); }
  EndpointPool* pool(size_t endpoint) const { return endpoint < pools_.size() ? pools_[endpoint] : nullptr; }
  bool passthrough() const { return lb_->policy() == policy::LoadBalancer::Policy::kPassthrough; }

  // An endpoint for one attempt; nullopt when none is usable (503 UH). Runs the
  // outlier detector's interval sweep lazily, so an idle cluster costs nothing.
  std::optional<size_t> pick(const policy::LbContext& ctx, uint64_t now_ms);
  void on_attempt_start(size_t endpoint);
  // An attempt's outcome, for outlier detection: the response status or,
  // without one, what the proxy saw. `pool` guards against a stale index (the
  // config changed while the attempt ran).
  void on_outcome(size_t endpoint, const EndpointPool* pool, uint32_t status,
                  std::optional<policy::LocalFailure> failure, uint64_t now_ms);
  // The attempt no longer counts as active (LEAST_REQUEST).
  void lb_request_end(size_t endpoint, const EndpointPool* pool);

  policy::CircuitBreaker& breaker() { return breaker_; }
  const policy::CircuitBreaker& breaker() const { return breaker_; }
  const policy::OutlierDetector& outlier() const { return *outlier_; }
  const policy::LoadBalancer& lb() const { return *lb_; }
  // Requests waiting for a connection (tcp.maxConnections reached), oldest first.
  std::vector<Downstream*>& waiters() { return waiters_; }

 private:
  static policy::MonoTime mono(uint64_t ms) { return std::chrono::milliseconds(ms); }
  void refresh_balancer();

  const pc::Cluster* cluster_ = nullptr;
  std::vector<EndpointPool*> pools_;
  std::optional<policy::LoadBalancer> lb_;
  std::optional<policy::OutlierDetector> outlier_;
  policy::CircuitBreaker breaker_{policy::PoolLimits{}};
  std::vector<Downstream*> waiters_;
};

}  // namespace mesh::proxy
