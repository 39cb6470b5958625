// DestinationRule: host, traffic policy, subsets, exportTo, workloadSelector.
// The traffic policy itself is read in decode_traffic_policy.cc.
#include <set>

#include <fmt/format.h>

#include "core/model/decode_kinds.h"
#include "core/model/decode_networking_common.h"

namespace mesh::model {

namespace {

void read_subset(DecodeContext& c, const yaml::Node& n, Subset& out) {
  out.pos = c.pos(n);
  read_fields(c, n,
              {
                  {"name",
                   [&](const yaml::Node& v) {
                     if (read(c, v, out.name) && !is_dns1123_label(out.name)) {
                       c.error(v, fmt::format("subset name \"{}\" is not a DNS-1123 label", out.name));
                     }
                   }},
                  {"labels",
                   [&](const yaml::Node& v) {
                     if (read(c, v, out.labels)) check_labels(c, v);
                   }},
                  {"trafficPolicy",
                   [&](const yaml::Node& v) { read_traffic_policy(c, v, out.traffic_policy.emplace()); }},
              });
  if (n.is_map() && out.name.empty() && !n["name"]) c.error_field(n, "name", "required field is missing");
}

void read_subsets(DecodeContext& c, const yaml::Node& n, std::vector<Subset>& out) {
  read_each(c, n, out, [&](const yaml::Node& s, Subset& subset) { read_subset(c, s, subset); });
  std::set<std::string> names;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].name.empty() || names.insert(out[i].name).second) continue;
    FieldScope scope(c, i);
    c.error_field(child_or_self(n[i], "name"), "name",
                  fmt::format("duplicate subset name \"{}\"", out[i].name));
  }
}

}  // namespace

void decode_spec(DecodeContext& c, const yaml::Node& spec, DestinationRule& out) {
  const yaml::Node* export_node = nullptr;
  yaml::Node export_to;
  if (!read_fields(
          c, spec,
          {
              {"host",
               [&](const yaml::Node& v) {
                 if (!read(c, v, out.host)) return;
                 if (std::string problem = check_wildcard_domain(out.host); !problem.empty())
                   c.error(v, problem);
               }},
              {"trafficPolicy",
               [&](const yaml::Node& v) { read_traffic_policy(c, v, out.traffic_policy.emplace()); }},
              {"subsets", [&](const yaml::Node& v) { read_subsets(c, v, out.subsets); }},
              {"exportTo",
               [&](const yaml::Node& v) {
                 export_to = v;
                 export_node = &export_to;
               }},
              {"workloadSelector",
               [&](const yaml::Node& v) { read_match_labels_selector(c, v, out.workload_selector); }},
          })) {
    return;
  }
  if (export_node != nullptr) {
    // Read last: the rules depend on whether a workloadSelector is set.
    FieldScope scope(c, "exportTo");
    ExportToRules rules;
    rules.current_namespace_only = out.workload_selector.has_value();
    read_export_to(c, export_to, out.meta.ns, rules, out.export_to);
  }
  if (!spec["host"] || spec["host"].is_null()) c.error_field(spec, "host", "required field is missing");
}

}  // namespace mesh::model
