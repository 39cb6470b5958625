// ServiceEntry: hosts, addresses, ports, resolution and endpoints, with
// Istio's rules tying resolution to endpoints and addresses.
#include <set>

#include <fmt/format.h>

#include "core/model/decode_kinds.h"
#include "core/model/decode_networking_common.h"

namespace mesh::model {

namespace {

using Resolution = ServiceEntry::Resolution;

const char* resolution_name(Resolution r) {
  switch (r) {
    case Resolution::kNone:
      return "NONE";
    case Resolution::kStatic:
      return "STATIC";
    case Resolution::kDns:
      return "DNS";
    case Resolution::kDnsRoundRobin:
      return "DNS_ROUND_ROBIN";
  }
  return "";
}

void read_service_port(DecodeContext& c, const yaml::Node& n, ServicePort& out) {
  read_fields(c, n,
              {
                  {"number", [&](const yaml::Node& v) { read_port(c, v, out.number); }},
                  {"protocol",
                   [&](const yaml::Node& v) {
                     if (!read(c, v, out.protocol)) return;
                     if (!is_known_protocol(out.protocol))
                       c.error(v, fmt::format("unsupported protocol \"{}\"", out.protocol));
                     out.protocol = to_upper(out.protocol);
                   }},
                  {"name",
                   [&](const yaml::Node& v) {
                     if (read(c, v, out.name) && !is_dns1123_label(out.name)) {
                       c.error(v, fmt::format("port name \"{}\" is not a DNS-1123 label", out.name));
                     }
                   }},
                  {"targetPort", [&](const yaml::Node& v) { read_port(c, v, out.target_port); }},
              });
  if (!n.is_map()) return;
  if (!n["number"]) c.error_field(n, "number", "required field is missing");
  if (!n["name"]) c.error_field(n, "name", "required field is missing");
}

void read_ports(DecodeContext& c, const yaml::Node& n, ServiceEntry& se) {
  read_each(c, n, se.ports, [&](const yaml::Node& p, ServicePort& port) { read_service_port(c, p, port); });
  std::set<std::string> names;
  std::set<uint32_t> numbers;
  for (size_t i = 0; i < se.ports.size(); ++i) {
    const ServicePort& p = se.ports[i];
    FieldScope scope(c, i);
    if (!p.name.empty() && !names.insert(p.name).second) {
      c.error_field(child_or_self(n[i], "name"), "name", fmt::format("duplicate port name \"{}\"", p.name));
    }
    if (p.number != 0 && !numbers.insert(p.number).second) {
      c.error_field(child_or_self(n[i], "number"), "number",
                    fmt::format("duplicate port number {}", p.number));
    }
  }
}

struct SeNodes {
  yaml::Node hosts, addresses, ports, endpoints, resolution;
};

void check_endpoints(DecodeContext& c, const SeNodes& nodes, const ServiceEntry& se) {
  std::vector<std::string> port_names;
  for (const ServicePort& p : se.ports) port_names.push_back(p.name);
  FieldScope scope(c, "endpoints");
  for (size_t i = 0; i < se.endpoints.size(); ++i) {
    FieldScope item(c, i);
    check_workload_entry(c, nodes.endpoints[i], se.endpoints[i], &port_names,
                         se.resolution != Resolution::kStatic);
  }
}

void check_resolution(DecodeContext& c, const yaml::Node& spec, const SeNodes& nodes,
                      const ServiceEntry& se) {
  const char* name = resolution_name(se.resolution);
  switch (se.resolution) {
    case Resolution::kNone:
      if (!se.endpoints.empty())
        c.error_field(nodes.endpoints, "endpoints", "resolution NONE cannot have endpoints");
      if (se.workload_selector)
        c.warning(child_or_self(spec, "workloadSelector"),
                  "workloadSelector has no effect with resolution NONE");
      return;
    case Resolution::kStatic:
      check_endpoints(c, nodes, se);
      return;
    case Resolution::kDns:
    case Resolution::kDnsRoundRobin:
      break;
  }
  if (se.endpoints.empty()) {
    FieldScope scope(c, "hosts");
    for (size_t i = 0; i < se.hosts.size(); ++i) {
      if (check_fqdn(se.hosts[i]).empty()) continue;
      FieldScope item(c, i);
      c.error(nodes.hosts[i],
              fmt::format("resolution {} without endpoints needs fully qualified hosts", name));
    }
  }
  if (se.resolution == Resolution::kDnsRoundRobin && se.endpoints.size() > 1) {
    c.error_field(nodes.endpoints, "endpoints", "resolution DNS_ROUND_ROBIN allows at most one endpoint");
  }
  check_endpoints(c, nodes, se);
  if (se.workload_selector)
    c.warning(child_or_self(spec, "workloadSelector"),
              fmt::format("workloadSelector has no effect with resolution {}", name));
}

void check_service_entry(DecodeContext& c, const yaml::Node& spec, const SeNodes& nodes,
                         const ServiceEntry& se) {
  if (se.workload_selector && !se.endpoints.empty()) {
    c.error_field(nodes.endpoints, "endpoints", "only one of workloadSelector or endpoints may be set");
  }
  if (se.hosts.empty())
    c.error_field(child_or_self(spec, "hosts"), "hosts", "a service entry needs at least one host");
  bool cidr = false;
  for (const std::string& a : se.addresses) cidr = cidr || a.find('/') != std::string::npos;
  if (cidr && se.resolution != Resolution::kNone && se.resolution != Resolution::kStatic) {
    c.error_field(nodes.addresses, "addresses", "CIDR addresses need resolution NONE or STATIC");
  }
  check_resolution(c, spec, nodes, se);
  // With several hosts only HTTP (Host header) or TLS (SNI) can tell them apart.
  if (se.resolution != Resolution::kNone && se.hosts.size() > 1) {
    for (const ServicePort& p : se.ports) {
      if (protocol_is_http(p.protocol) || protocol_is_tls(p.protocol)) continue;
      c.error_field(nodes.ports, "ports", "several hosts need HTTP or TLS ports unless resolution is NONE");
      break;
    }
  }
}

}  // namespace

void decode_spec(DecodeContext& c, const yaml::Node& spec, ServiceEntry& out) {
  SeNodes nodes;
  const bool ok = read_fields(
      c, spec,
      {
          {"hosts",
           [&](const yaml::Node& v) {
             nodes.hosts = v;
             read_strings(c, v, out.hosts, [&](const yaml::Node& at, const std::string& host) {
               if (host == "*") {
                 c.error(at, "host \"*\" is not allowed in a service entry");
                 return;
               }
               if (std::string problem = check_wildcard_domain(host); !problem.empty()) c.error(at, problem);
               if (host.find('*') != std::string::npos && !host.starts_with("*.")) {
                 c.warning(at, fmt::format("partial wildcard \"{}\" is not supported", host));
               }
             });
           }},
          {"addresses",
           [&](const yaml::Node& v) {
             nodes.addresses = v;
             read_strings(c, v, out.addresses, [&](const yaml::Node& at, const std::string& a) {
               if (std::string problem = check_ip_subnet(a); !problem.empty()) c.error(at, problem);
             });
           }},
          {"ports",
           [&](const yaml::Node& v) {
             nodes.ports = v;
             read_ports(c, v, out);
           }},
          {"location",
           [&](const yaml::Node& v) {
             read_enum(c, v, out.location,
                       {{"MESH_EXTERNAL", ServiceEntry::Location::kMeshExternal},
                        {"MESH_INTERNAL", ServiceEntry::Location::kMeshInternal}});
           }},
          {"resolution",
           [&](const yaml::Node& v) {
             read_enum(c, v, out.resolution,
                       {{"NONE", Resolution::kNone},
                        {"STATIC", Resolution::kStatic},
                        {"DNS", Resolution::kDns},
                        {"DNS_ROUND_ROBIN", Resolution::kDnsRoundRobin}});
           }},
          {"endpoints",
           [&](const yaml::Node& v) {
             nodes.endpoints = v;
             read_each(c, v, out.endpoints, [&](const yaml::Node& e, WorkloadEntrySpec& ep) {
               read_workload_entry_spec(c, e, ep);
             });
           }},
          {"workloadSelector",
           [&](const yaml::Node& v) { read_labels_selector(c, v, out.workload_selector); }},
          {"exportTo",
           [&](const yaml::Node& v) {
             ExportToRules rules;
             rules.allow_none = true;
             read_export_to(c, v, out.meta.ns, rules, out.export_to);
           }},
          {"subjectAltNames", [&](const yaml::Node& v) { read_strings(c, v, out.subject_alt_names); }},
      });
  if (ok) check_service_entry(c, spec, nodes, out);
}

}  // namespace mesh::model
