// Shared by the security.istio.io decoders (decode_security.cc,
// decode_request_authentication.cc): list walking, checked value lists, and
// where a policy applies (selector, targetRef, targetRefs).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/model/api_security.h"
#include "core/model/decode.h"

namespace mesh::model::security_parts {

// Calls `item` for each element of a list, with the index on the field path.
template <class F>
bool for_each_item(DecodeContext& c, const yaml::Node& n, F item) {
  if (!n.is_sequence()) {
    c.error(n, fmt::format("expected a list, got {}", type_name(n)));
    return false;
  }
  for (size_t i = 0; i < n.size(); ++i) {
    FieldScope scope(c, i);
    item(n[i]);
  }
  return true;
}

// read_fields skips null values, so a captured node that is still null was never set.
inline bool present(const yaml::Node& n) {
  return n.is_defined() && !n.is_null();
}

// What a list of strings holds, for the per-value checks Istio makes.
enum class ValueKind { kAny, kIp, kPort, kPath };

// A list of non-empty strings, each checked as `kind`.
void read_values(DecodeContext& c, const yaml::Node& n, std::vector<std::string>& out,
                 ValueKind kind = ValueKind::kAny);

void read_selector(DecodeContext& c, const yaml::Node& n, std::optional<WorkloadSelector>& out);
void read_target_ref(DecodeContext& c, const yaml::Node& n, std::vector<PolicyTargetReference>& out);
void read_target_refs(DecodeContext& c, const yaml::Node& n, std::vector<PolicyTargetReference>& out);
// selector, targetRef and targetRefs each choose where a policy applies: one at most.
void check_one_scope(DecodeContext& c, const yaml::Node& spec);

}  // namespace mesh::model::security_parts
