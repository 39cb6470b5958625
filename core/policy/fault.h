// Fault injection decisions for Istio's HTTPFaultInjection: delay and/or abort,
// each with its own percentage, drawn from the worker's Random. The proxy waits
// `delay` (flag DI) and then, if `abort_status` is set, answers it locally
// (flag FI) instead of forwarding. Envoy's order: delay first, then abort.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "core/policy/hash.h"
#include "core/proxyconfig/proxy_config.h"

namespace mesh::policy {

struct FaultDecision {
  std::optional<std::chrono::nanoseconds> delay;  // set: delay the request (flag DI)
  uint32_t abort_status = 0;                      // non-zero: answer this status (flag FI)
  bool delayed() const { return delay.has_value(); }
  bool aborted() const { return abort_status != 0; }
  // Envoy's response-flag text for the access log: "DI", "FI", "DI,FI" or "".
  const char* flags() const;
};

FaultDecision decide_fault(const pc::FaultPolicy& fault, Random& random);

// Whether a request is mirrored (mirrorPercentage; 100 when unset).
inline bool should_mirror(const pc::MirrorPolicy& mirror, Random& random) {
  return random.chance(mirror.percent);
}

}  // namespace mesh::policy
