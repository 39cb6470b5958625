#include "core/policy/circuit_breaker.h"

namespace mesh::policy {

namespace {

// Istio rejects negative values at validation; clamp anyway so bad input
// cannot turn into a huge unsigned limit by accident.
uint32_t limit_or_unlimited(const std::optional<int32_t>& v) {
  if (!v) return PoolLimits::kUnlimited;
  return *v < 0 ? 0 : static_cast<uint32_t>(*v);
}

}  // namespace

PoolLimits PoolLimits::from(const std::optional<model::ConnectionPoolSettings>& settings) {
  PoolLimits l;
  if (!settings) return l;
  l.max_connections = limit_or_unlimited(settings->tcp.max_connections);
  l.max_pending_requests = limit_or_unlimited(settings->http.http1_max_pending_requests);
  l.max_requests = limit_or_unlimited(settings->http.http2_max_requests);
  l.max_retries = limit_or_unlimited(settings->http.max_retries);
  const auto& per_conn = settings->http.max_requests_per_connection;
  l.max_requests_per_connection = per_conn && *per_conn > 0 ? static_cast<uint32_t>(*per_conn) : 0;
  if (settings->tcp.connect_timeout) l.connect_timeout = *settings->tcp.connect_timeout;
  if (settings->http.idle_timeout) l.idle_timeout = *settings->http.idle_timeout;
  return l;
}

uint32_t PoolLimits::limit(Resource r) const {
  switch (r) {
    case Resource::kConnection:
      return max_connections;
    case Resource::kPendingRequest:
      return max_pending_requests;
    case Resource::kRequest:
      return max_requests;
    case Resource::kRetry:
      return max_retries;
  }
  return kUnlimited;
}

bool CircuitBreaker::try_acquire(Resource r) {
  std::atomic<uint32_t>& c = counter(r);
  const uint32_t max = limits_.limit(r);
  uint32_t current = c.load(std::memory_order_relaxed);
  do {
    if (current >= max) {
      overflows_[index(r)].fetch_add(1, std::memory_order_relaxed);
      return false;
    }
  } while (!c.compare_exchange_weak(current, current + 1, std::memory_order_relaxed));
  return true;
}

void CircuitBreaker::release(Resource r) {
  std::atomic<uint32_t>& c = counter(r);
  uint32_t current = c.load(std::memory_order_relaxed);
  while (current > 0 && !c.compare_exchange_weak(current, current - 1, std::memory_order_relaxed)) {
  }
}

}  // namespace mesh::policy
