// The upstream side of one downstream request: which cluster and endpoint the
// current attempt uses, its retry state, the bytes kept to replay the request
// and the forwarding deadlines. Downstream's forwarding methods (forward.cc)
// drive it.
//
// Replay: the request head is always kept (a request may wait for a
// connection); the body is kept while the route may retry, up to
// kReplayLimit. A request is retried only when it has fully arrived and every
// byte sent upstream is still kept; a bigger body streams through and is
// not retried (Envoy does the same once its retry buffer overflows).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/policy/circuit_breaker.h"
#include "core/policy/load_balancer.h"
#include "core/policy/retry.h"
#include "proxy/cluster_state.h"

namespace mesh::proxy {

struct ForwardState {
  static constexpr size_t kReplayLimit = 64 * 1024;  // body bytes kept for a retry

  ClusterState* cluster = nullptr;
  size_t endpoint = policy::kNoEndpoint;  // of the current (or last) attempt
  EndpointPool* pool = nullptr;
  bool attempt_open = false;  // counted as active on `endpoint`
  bool waiting = false;       // queued in cluster->waiters()
  std::optional<policy::RetryState> retry;
  policy::ResourceGuard request_slot;  // http2MaxRequests (active requests)
  policy::ResourceGuard pending_slot;  // http1MaxPendingRequests while queued
  std::optional<uint64_t> hash;        // consistent-hash key
  std::string set_cookie;              // generated hash cookie for the response
  std::string replay;                  // request bytes as sent upstream
  bool replay_ok = false;              // replay holds every byte sent so far
  uint64_t route_deadline_ms = 0;      // 0: none
  uint64_t try_deadline_ms = 0;
  uint64_t backoff_until_ms = 0;
  uint64_t per_try_ms = 0;
  bool retried = false;  // at least one retry was made (URX when exhausted)
};

}  // namespace mesh::proxy
