// Envoy's circuit breakers from Istio's connectionPool settings. Counters are
// atomics so one breaker can be shared by every worker for a cluster (Envoy's
// limits are per cluster, not per thread); they take no locks. On overflow the
// caller answers 503 with response flag UO.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

#include "core/model/api_networking.h"

namespace mesh::policy {

enum class Resource { kConnection, kPendingRequest, kRequest, kRetry };

struct PoolLimits {
  static constexpr uint32_t kUnlimited = 0xffffffffu;                   // Istio's default for every threshold
  uint32_t max_connections = kUnlimited;                                // tcp.maxConnections
  uint32_t max_pending_requests = kUnlimited;                           // http.http1MaxPendingRequests
  uint32_t max_requests = kUnlimited;                                   // http.http2MaxRequests
  uint32_t max_retries = kUnlimited;                                    // http.maxRetries
  uint32_t max_requests_per_connection = 0;                             // 0: unlimited; 1 disables keep-alive
  std::chrono::nanoseconds connect_timeout = std::chrono::seconds(10);  // Istio's default
  std::optional<std::chrono::nanoseconds> idle_timeout;                 // http.idleTimeout

  static PoolLimits from(const std::optional<model::ConnectionPoolSettings>& settings);
  uint32_t limit(Resource r) const;
};

class CircuitBreaker {
 public:
  explicit CircuitBreaker(const PoolLimits& limits) : limits_(limits) {}

  // Takes one unit of `r` if below its limit. Every successful acquire must be
  // matched by one release.
  bool try_acquire(Resource r);
  void release(Resource r);
  uint32_t in_use(Resource r) const { return counter(r).load(std::memory_order_relaxed); }
  uint64_t overflows(Resource r) const { return overflows_[index(r)].load(std::memory_order_relaxed); }

  // A connection that has served this many requests must not take another.
  bool connection_exhausted(uint32_t requests_served) const {
    return limits_.max_requests_per_connection != 0 && requests_served >= limits_.max_requests_per_connection;
  }
  const PoolLimits& limits() const { return limits_; }
  // New limits from a new config; resources in use stay counted. Not
  // thread-safe: for a breaker owned by one thread.
  void set_limits(const PoolLimits& limits) { limits_ = limits; }

 private:
  static size_t index(Resource r) { return static_cast<size_t>(r); }
  std::atomic<uint32_t>& counter(Resource r) { return counters_[index(r)]; }
  const std::atomic<uint32_t>& counter(Resource r) const { return counters_[index(r)]; }

  PoolLimits limits_;
  std::array<std::atomic<uint32_t>, 4> counters_{};
  std::array<std::atomic<uint64_t>, 4> overflows_{};
};

// Holds one unit of a resource and releases it when destroyed (move-only).
class ResourceGuard {
 public:
  ResourceGuard() = default;
  ResourceGuard(CircuitBreaker& breaker, Resource r)
      : breaker_(breaker.try_acquire(r) ? &breaker : nullptr), r_(r) {}
  ResourceGuard(ResourceGuard&& o) noexcept : breaker_(o.breaker_), r_(o.r_) { o.breaker_ = nullptr; }
  ResourceGuard& operator=(ResourceGuard&& o) noexcept {
    if (this != &o) {
      reset();
      breaker_ = o.breaker_;
      r_ = o.r_;
      o.breaker_ = nullptr;
    }
    return *this;
  }
  ~ResourceGuard() { reset(); }
  explicit operator bool() const { return breaker_ != nullptr; }
  void reset() {
    if (breaker_) breaker_->release(r_);
    breaker_ = nullptr;
  }

 private:
  CircuitBreaker* breaker_ = nullptr;
  Resource r_ = Resource::kRequest;
};

}  // namespace mesh::policy
