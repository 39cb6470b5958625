#include <doctest/doctest.h>

#include "core/policy/circuit_breaker.h"

using mesh::policy::CircuitBreaker;
using mesh::policy::PoolLimits;
using mesh::policy::Resource;
using mesh::policy::ResourceGuard;

TEST_CASE("unset limits are Istio's 2^32-1") {
  const PoolLimits l = PoolLimits::from(std::nullopt);
  CHECK(l.max_connections == 0xffffffffu);
  CHECK(l.max_pending_requests == 0xffffffffu);
  CHECK(l.max_requests == 0xffffffffu);
  CHECK(l.max_retries == 0xffffffffu);
  CHECK(l.max_requests_per_connection == 0);
  CHECK(l.connect_timeout == std::chrono::seconds(10));
  mesh::model::ConnectionPoolSettings s;
  s.tcp.max_connections = 7;
  CHECK(PoolLimits::from(s).max_connections == 7);
  CHECK(PoolLimits::from(s).max_retries == 0xffffffffu);
}

TEST_CASE("try_acquire stops at the limit, counts overflows, and release frees a slot") {
  mesh::model::ConnectionPoolSettings s;
  s.tcp.max_connections = 1;
  s.http.http1_max_pending_requests = 2;
  s.http.max_retries = 0;
  CircuitBreaker cb(PoolLimits::from(s));
  CHECK(cb.try_acquire(Resource::kConnection));
  CHECK_FALSE(cb.try_acquire(Resource::kConnection));  // caller answers 503 UO
  CHECK(cb.overflows(Resource::kConnection) == 1);
  cb.release(Resource::kConnection);
  CHECK(cb.try_acquire(Resource::kConnection));
  CHECK(cb.try_acquire(Resource::kPendingRequest));
  CHECK(cb.try_acquire(Resource::kPendingRequest));
  CHECK_FALSE(cb.try_acquire(Resource::kPendingRequest));
  CHECK(cb.in_use(Resource::kPendingRequest) == 2);
  CHECK_FALSE(cb.try_acquire(Resource::kRetry));
  cb.release(Resource::kRequest);  // never acquired: stays at zero
  CHECK(cb.in_use(Resource::kRequest) == 0);
}

TEST_CASE("ResourceGuard releases on destruction and on move-assign") {
  mesh::model::ConnectionPoolSettings s;
  s.http.http2_max_requests = 1;
  CircuitBreaker cb(PoolLimits::from(s));
  {
    ResourceGuard g(cb, Resource::kRequest);
    CHECK(static_cast<bool>(g));
    ResourceGuard second(cb, Resource::kRequest);
    CHECK_FALSE(static_cast<bool>(second));
    ResourceGuard moved = std::move(g);
    CHECK(cb.in_use(Resource::kRequest) == 1);
  }
  CHECK(cb.in_use(Resource::kRequest) == 0);
}

TEST_CASE("maxRequestsPerConnection marks a connection as used up") {
  mesh::model::ConnectionPoolSettings s;
  s.http.max_requests_per_connection = 1;  // no keep-alive
  CircuitBreaker cb(PoolLimits::from(s));
  CHECK_FALSE(cb.connection_exhausted(0));
  CHECK(cb.connection_exhausted(1));
  CircuitBreaker unlimited(PoolLimits{});
  CHECK_FALSE(unlimited.connection_exhausted(1000000));
}
