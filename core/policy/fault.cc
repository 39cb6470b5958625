#include "core/policy/fault.h"

namespace mesh::policy {

const char* FaultDecision::flags() const {
  if (delayed() && aborted()) return "DI,FI";
  if (delayed()) return "DI";
  if (aborted()) return "FI";
  return "";
}

FaultDecision decide_fault(const pc::FaultPolicy& fault, Random& random) {
  FaultDecision d;
  if (fault.delay && fault.delay->count() > 0 && random.chance(fault.delay_percent)) d.delay = *fault.delay;
  if (fault.abort_status != 0 && random.chance(fault.abort_percent)) d.abort_status = fault.abort_status;
  return d;
}

}  // namespace mesh::policy
