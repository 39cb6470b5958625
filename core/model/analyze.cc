// Cross-object findings in the spirit of `istioctl analyze`. Each check reads the
// whole ConfigSet and reports at the position of the field that is wrong.
#include "core/model/analyze.h"

#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "core/model/host_index.h"

namespace mesh::model {
namespace {

constexpr std::string_view kClusterSuffix = ".svc.cluster.local";

std::string object_name(const Meta& m) {
  return fmt::format("{}/{}/{}", m.kind, m.ns, m.name);
}
std::string file_of(const Meta& m) {
  return m.file ? *m.file : "";
}

std::string where(const Meta& m) {
  const std::string file = m.file ? *m.file : "<input>";
  return m.pos.line > 0 ? fmt::format("{}:{}", file, m.pos.line) : file;
}

void report(Diagnostics& diags, Severity severity, const Meta& m, Pos pos, std::string field,
            std::string message) {
  diags.add(Diagnostic{severity, file_of(m), pos.line > 0 ? pos : m.pos, object_name(m), std::move(field),
                       std::move(message)});
}

void warn(Diagnostics& diags, const Meta& m, Pos pos, std::string field, std::string message) {
  report(diags, Severity::kWarning, m, pos, std::move(field), std::move(message));
}

// Short names ("reviews") live in the referring object's namespace; names with
// dots are taken as written, as Istio does.
std::string resolve_host(const std::string& host, const std::string& ns) {
  if (host.empty() || host.find('.') != std::string::npos || host == "*") return host;
  return host + "." + ns + std::string(kClusterSuffix);
}

bool labels_match(const Labels& selector, const Labels& labels) {
  for (const auto& [key, value] : selector) {
    const auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

// A destination of a VirtualService with the field path that leads to it.
struct DestinationUse {
  const VirtualService* vs;
  const Destination* dest;
  std::string field;
};

std::vector<DestinationUse> destinations(const ConfigSet& config) {
  std::vector<DestinationUse> out;
  for (const VirtualService& vs : config.virtual_services) {
    for (size_t i = 0; i < vs.http.size(); ++i) {
      const HTTPRoute& r = vs.http[i];
      for (size_t j = 0; j < r.route.size(); ++j) {
        out.push_back(
            {&vs, &r.route[j].destination, fmt::format("spec.http[{}].route[{}].destination", i, j)});
      }
      for (size_t j = 0; j < r.mirrors.size(); ++j) {
        out.push_back(
            {&vs, &r.mirrors[j].destination, fmt::format("spec.http[{}].mirrors[{}].destination", i, j)});
      }
    }
    for (size_t i = 0; i < vs.tls.size(); ++i) {
      for (size_t j = 0; j < vs.tls[i].route.size(); ++j) {
        out.push_back(
            {&vs, &vs.tls[i].route[j].destination, fmt::format("spec.tls[{}].route[{}].destination", i, j)});
      }
    }
    for (size_t i = 0; i < vs.tcp.size(); ++i) {
      for (size_t j = 0; j < vs.tcp[i].route.size(); ++j) {
        out.push_back(
            {&vs, &vs.tcp[i].route[j].destination, fmt::format("spec.tcp[{}].route[{}].destination", i, j)});
      }
    }
  }
  return out;
}

// exportTo decides which namespaces see a DestinationRule (empty: all).
bool visible_in(const DestinationRule& dr, const std::string& ns) {
  if (dr.export_to.empty()) return true;
  for (const std::string& e : dr.export_to) {
    if (e == "*" || e == ns || (e == "." && dr.meta.ns == ns)) return true;
  }
  return false;
}

// ------------------------------------------------------------------ subsets

void check_subsets(const ConfigSet& config, const std::vector<DestinationUse>& uses, Diagnostics& diags) {
  HostIndex rule_hosts;
  for (size_t i = 0; i < config.destination_rules.size(); ++i) {
    const DestinationRule& dr = config.destination_rules[i];
    rule_hosts.add(resolve_host(dr.host, dr.meta.ns), i);
  }
  for (const DestinationUse& use : uses) {
    if (use.dest->subset.empty()) continue;
    const std::string host = resolve_host(use.dest->host, use.vs->meta.ns);
    const DestinationRule* rule_for_host = nullptr;
    bool defined = false;
    for (const size_t i : rule_hosts.matches(host)) {
      const DestinationRule& dr = config.destination_rules[i];
      if (!visible_in(dr, use.vs->meta.ns)) continue;
      rule_for_host = &dr;
      for (const Subset& s : dr.subsets) defined = defined || s.name == use.dest->subset;
    }
    if (defined) continue;
    const std::string message =
        rule_for_host == nullptr
            ? fmt::format("subset \"{}\" of host {}: no DestinationRule for this host defines subsets",
                          use.dest->subset, host)
            : fmt::format("subset \"{}\" is not defined by DestinationRule {}/{} for host {}",
                          use.dest->subset, rule_for_host->meta.ns, rule_for_host->meta.name, host);
    warn(diags, use.vs->meta, use.dest->pos, use.field + ".subset", message);
  }
}

// -------------------------------------------------------------------- hosts

HostIndex known_hosts(const ConfigSet& config) {
  HostIndex hosts;
  for (const Service& s : config.services) hosts.add(s.meta.name + "." + s.meta.ns + std::string(kClusterSuffix), 0);
  for (const ServiceEntry& se : config.service_entries) {
    for (const std::string& h : se.hosts) hosts.add(resolve_host(h, se.meta.ns), 0);
  }
  return hosts;
}

bool is_known(const HostIndex& known, const std::string& host) { return !known.matches(host).empty(); }

// Only meaningful when the input describes services at all; config checked on
// its own would otherwise warn about every host.
void check_hosts(const ConfigSet& config, const std::vector<DestinationUse>& uses, Diagnostics& diags) {
  if (config.services.empty() && config.service_entries.empty()) return;
  const HostIndex known = known_hosts(config);
  for (const DestinationUse& use : uses) {
    const std::string host = resolve_host(use.dest->host, use.vs->meta.ns);
    if (host.empty() || is_known(known, host)) continue;
    warn(diags, use.vs->meta, use.dest->pos, use.field + ".host",
         fmt::format("host {} matches no Service or ServiceEntry", host));
  }
  for (const DestinationRule& dr : config.destination_rules) {
    const std::string host = resolve_host(dr.host, dr.meta.ns);
    if (host.empty() || is_known(known, host)) continue;
    warn(diags, dr.meta, {}, "spec.host", fmt::format("host {} matches no Service or ServiceEntry", host));
  }
}

// ----------------------------------------------------------------- gateways

// "name" (the VirtualService's namespace), "ns/name", or the older
// "name.ns.svc.cluster.local"; returns "ns/name", or "mesh".
std::string gateway_key(const std::string& ref, const std::string& ns) {
  if (ref == "mesh") return ref;
  const size_t slash = ref.find('/');
  if (slash != std::string::npos) return ref.substr(0, slash) + "/" + ref.substr(slash + 1);
  const size_t dot = ref.find('.');
  if (dot == std::string::npos) return ns + "/" + ref;
  const size_t dot2 = ref.find('.', dot + 1);
  return ref.substr(dot + 1, dot2 - dot - 1) + "/" + ref.substr(0, dot);
}

struct GatewayRef {
  std::string key;
  std::string field;
};

std::vector<GatewayRef> gateway_refs(const VirtualService& vs) {
  std::vector<GatewayRef> out;
  const auto add = [&](const std::vector<std::string>& refs, const std::string& prefix) {
    for (size_t i = 0; i < refs.size(); ++i) {
      out.push_back({gateway_key(refs[i], vs.meta.ns), fmt::format("{}gateways[{}]", prefix, i)});
    }
  };
  add(vs.gateways, "spec.");
  for (size_t i = 0; i < vs.http.size(); ++i) {
    for (size_t j = 0; j < vs.http[i].match.size(); ++j) {
      add(vs.http[i].match[j].gateways, fmt::format("spec.http[{}].match[{}].", i, j));
    }
  }
  for (size_t i = 0; i < vs.tls.size(); ++i) {
    for (size_t j = 0; j < vs.tls[i].match.size(); ++j) {
      add(vs.tls[i].match[j].gateways, fmt::format("spec.tls[{}].match[{}].", i, j));
    }
  }
  for (size_t i = 0; i < vs.tcp.size(); ++i) {
    for (size_t j = 0; j < vs.tcp[i].match.size(); ++j) {
      add(vs.tcp[i].match[j].gateways, fmt::format("spec.tcp[{}].match[{}].", i, j));
    }
  }
  return out;
}

void check_gateways(const ConfigSet& config, Diagnostics& diags) {
  std::set<std::string> defined, bound;
  for (const Gateway& g : config.gateways) defined.insert(g.meta.ns + "/" + g.meta.name);
  for (const VirtualService& vs : config.virtual_services) {
    for (const GatewayRef& ref : gateway_refs(vs)) {
      if (ref.key == "mesh") continue;
      bound.insert(ref.key);
      if (defined.count(ref.key) == 0) {
        warn(diags, vs.meta, {}, ref.field, fmt::format("Gateway {} does not exist", ref.key));
      }
    }
  }
  for (const Gateway& g : config.gateways) {
    if (bound.count(g.meta.ns + "/" + g.meta.name) == 0) {
      warn(diags, g.meta, {}, "", "no VirtualService binds this Gateway");
    }
  }
}

// Two VirtualServices routing the same host through the same gateway (or the
// mesh) conflict: which one wins depends on creation order.
void check_conflicts(const ConfigSet& config, Diagnostics& diags) {
  std::map<std::pair<std::string, std::string>, const VirtualService*> owner;
  for (const VirtualService& vs : config.virtual_services) {
    std::vector<std::string> gateways;
    for (const std::string& g : vs.gateways) gateways.push_back(gateway_key(g, vs.meta.ns));
    if (gateways.empty()) gateways.push_back("mesh");
    for (size_t i = 0; i < vs.hosts.size(); ++i) {
      const std::string host = resolve_host(vs.hosts[i], vs.meta.ns);
      for (const std::string& g : gateways) {
        auto [it, inserted] = owner.emplace(std::make_pair(g, host), &vs);
        if (inserted || it->second == &vs) continue;
        warn(diags, vs.meta, {}, fmt::format("spec.hosts[{}]", i),
             fmt::format("host {} on gateway {} is also routed by VirtualService {}/{} ({})", host, g,
                         it->second->meta.ns, it->second->meta.name, where(it->second->meta)));
      }
    }
  }
}

// ---------------------------------------------------------------- workloads

// Label sets of every workload (pods, workload templates, WorkloadEntries) by namespace.
std::map<std::string, std::vector<const Labels*>> workload_labels(const ConfigSet& config) {
  std::map<std::string, std::vector<const Labels*>> out;
  for (const Pod& p : config.pods) out[p.meta.ns].push_back(&p.spec.labels);
  for (const Workload& w : config.workloads) out[w.meta.ns].push_back(&w.template_.labels);
  for (const WorkloadEntry& we : config.workload_entries) out[we.meta.ns].push_back(&we.spec.labels);
  return out;
}

// The namespace and selector of the service behind each host the config
// defines (Services first, then ServiceEntries with a workloadSelector).
std::unordered_map<std::string, std::pair<std::string, Labels>> service_selectors(const ConfigSet& config) {
  std::unordered_map<std::string, std::pair<std::string, Labels>> out;
  for (const Service& s : config.services) {
    if (s.selector.empty()) continue;
    out.emplace(s.meta.name + "." + s.meta.ns + std::string(kClusterSuffix), std::make_pair(s.meta.ns, s.selector));
  }
  for (const ServiceEntry& se : config.service_entries) {
    if (!se.workload_selector || se.workload_selector->match_labels.empty()) continue;
    for (const std::string& h : se.hosts) {
      out.emplace(resolve_host(h, se.meta.ns), std::make_pair(se.meta.ns, se.workload_selector->match_labels));
    }
  }
  return out;
}

void check_subset_workloads(const ConfigSet& config, Diagnostics& diags) {
  const auto by_ns = workload_labels(config);
  const auto selectors = service_selectors(config);
  for (const DestinationRule& dr : config.destination_rules) {
    const auto found = selectors.find(resolve_host(dr.host, dr.meta.ns));
    if (found == selectors.end()) continue;
    const auto* selector = &found->second;
    const auto ns = by_ns.find(selector->first);
    if (ns == by_ns.end()) continue;  // no workloads known in that namespace
    for (size_t i = 0; i < dr.subsets.size(); ++i) {
      const Subset& subset = dr.subsets[i];
      if (subset.labels.empty()) continue;
      bool selected = false;
      for (const Labels* labels : ns->second) {
        selected =
            selected || (labels_match(selector->second, *labels) && labels_match(subset.labels, *labels));
      }
      if (selected) continue;
      warn(diags, dr.meta, subset.pos, fmt::format("spec.subsets[{}].labels", i),
           fmt::format("subset \"{}\" selects no workload of host {}", subset.name, dr.host));
    }
  }
}

// ------------------------------------------------------------- port naming

// Protocols Istio recognises in a port name prefix or appProtocol.
bool known_protocol(std::string name) {
  for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  static const std::set<std::string, std::less<>> known = {"http",
                                                           "http2",
                                                           "https",
                                                           "grpc",
                                                           "grpc-web",
                                                           "tcp",
                                                           "tls",
                                                           "udp",
                                                           "mongo",
                                                           "mysql",
                                                           "redis",
                                                           "http_proxy",
                                                           "kubernetes.io/h2c",
                                                           "kubernetes.io/ws",
                                                           "kubernetes.io/wss"};
  return known.count(name) != 0;
}

bool port_protocol_known(const KubeServicePort& p) {
  if (p.protocol == "UDP") return true;
  if (!p.app_protocol.empty()) return known_protocol(p.app_protocol);
  if (p.name.starts_with("grpc-web")) return true;
  return known_protocol(p.name.substr(0, p.name.find('-')));
}

bool system_namespace(const std::string& ns) {
  return ns.starts_with("kube-") || ns == "istio-system";
}

void check_port_names(const ConfigSet& config, Diagnostics& diags) {
  for (const Service& s : config.services) {
    if (system_namespace(s.meta.ns)) continue;
    for (size_t i = 0; i < s.ports.size(); ++i) {
      const KubeServicePort& p = s.ports[i];
      if (port_protocol_known(p)) continue;
      warn(diags, s.meta, p.pos, fmt::format("spec.ports[{}]", i),
           fmt::format("port \"{}\" ({}) names no protocol Istio recognises; name it <protocol>[-<suffix>] "
                       "(e.g. http-web) or set appProtocol (IST0118)",
                       p.name, p.port));
    }
  }
}

// --------------------------------------------------------------- duplicates

void check_duplicates(const ConfigSet& config, Diagnostics& diags) {
  std::map<std::string, const Meta*> first;
  const auto visit = [&](const Meta& m) {
    auto [it, inserted] = first.emplace(object_name(m), &m);
    if (inserted) return;
    report(diags, Severity::kError, m, {}, "",
           fmt::format("duplicate {} {}/{}: first defined at {}", m.kind, m.ns, m.name, where(*it->second)));
  };
  const auto all = [&](const auto& objects) {
    for (const auto& o : objects) visit(o.meta);
  };
  all(config.virtual_services);
  all(config.destination_rules);
  all(config.gateways);
  all(config.service_entries);
  all(config.workload_entries);
  all(config.sidecars);
  all(config.peer_authentications);
  all(config.authorization_policies);
  all(config.request_authentications);
  all(config.namespaces);
  all(config.services);
  all(config.service_accounts);
  all(config.pods);
  all(config.workloads);
  all(config.endpoint_slices);
}

}  // namespace

void analyze(const ConfigSet& config, Diagnostics& diags) {
  const std::vector<DestinationUse> uses = destinations(config);
  check_duplicates(config, diags);
  check_subsets(config, uses, diags);
  check_hosts(config, uses, diags);
  check_gateways(config, diags);
  check_conflicts(config, diags);
  check_subset_workloads(config, diags);
  check_port_names(config, diags);
}

}  // namespace mesh::model
