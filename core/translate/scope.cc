// What a proxy may see: exportTo on services, VirtualServices and
// DestinationRules, and the egress hosts of the Sidecar resource that applies.
#include <algorithm>

#include "core/translate/context.h"

namespace mesh::translate::detail {
namespace {

using registry::exported_to;
using registry::host_matches;
using registry::selects;

constexpr std::string_view kRootNamespace = "istio-system";

const std::string& ns_of(const model::Meta& m) {
  static const std::string kDefault = "default";
  return m.ns.empty() ? kDefault : m.ns;
}

bool egress_host_allows(std::string_view entry, std::string_view sidecar_ns, std::string_view ns,
                        std::string_view host) {
  const size_t slash = entry.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view want_ns = entry.substr(0, slash);
  const std::string_view want_host = entry.substr(slash + 1);
  if (want_ns == "~") return false;
  if (want_ns != "*" && !(want_ns == "." ? ns == sidecar_ns : ns == want_ns)) return false;
  return want_host == "*" || host_matches(want_host, host);
}

}  // namespace

void HostIndex::add(const std::string& host, size_t index) {
  if (host.starts_with("*")) {
    wildcards.emplace_back(host, index);
  } else {
    exact[host].push_back(index);
  }
}

std::vector<size_t> HostIndex::find(const std::string& host) const {
  std::vector<size_t> out;
  if (auto it = exact.find(host); it != exact.end()) out = it->second;
  for (const auto& [pattern, index] : wildcards) {
    if (host_matches(pattern, host)) out.push_back(index);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// Istio's precedence: a selector-bearing Sidecar in the proxy's namespace, then
// the namespace-wide one, then the root namespace's.
const model::Sidecar* find_sidecar(const model::ConfigSet& config, const pc::ProxyIdentity& proxy) {
  const model::Sidecar* ns_wide = nullptr;
  const model::Sidecar* root = nullptr;
  for (const model::Sidecar& s : config.sidecars) {
    const std::string& ns = ns_of(s.meta);
    if (ns == proxy.ns && s.workload_selector) {
      if (selects(s.workload_selector->match_labels, proxy.labels)) return &s;
    } else if (ns == proxy.ns && !ns_wide) {
      ns_wide = &s;
    } else if (ns == kRootNamespace && !s.workload_selector && !root) {
      root = &s;
    }
  }
  return ns_wide ? ns_wide : root;
}

bool sidecar_egress_allows(const model::Sidecar* sidecar, std::string_view ns, std::string_view host) {
  if (!sidecar || sidecar->egress.empty()) return true;
  const std::string& sidecar_ns = ns_of(sidecar->meta);
  for (const model::IstioEgressListener& l : sidecar->egress) {
    for (const std::string& entry : l.hosts) {
      if (egress_host_allows(entry, sidecar_ns, ns, host)) return true;
    }
  }
  return false;
}

std::shared_ptr<const Scope> Scope::build(const model::ConfigSet& config, const registry::Registry& registry,
                                          const pc::ProxyIdentity& proxy) {
  auto scope = std::make_shared<Scope>();
  scope->gateway = proxy.type == pc::ProxyIdentity::Type::kGateway;
  if (!scope->gateway) scope->sidecar = find_sidecar(config, proxy);
  for (const registry::Service& s : registry.services()) {
    if (exported_to(s.export_to, s.ns, proxy.ns) && sidecar_egress_allows(scope->sidecar, s.ns, s.hostname))
      scope->services.push_back(&s);
  }
  std::stable_sort(scope->services.begin(), scope->services.end(),
                   [](const auto* a, const auto* b) { return a->hostname < b->hostname; });
  for (size_t i = 0; i < config.virtual_services.size(); ++i) {
    const model::VirtualService& vs = config.virtual_services[i];
    const std::string& ns = ns_of(vs.meta);
    scope->vs_by_name.emplace(ns + "/" + vs.meta.name, i);
    if (!exported_to(vs.export_to, ns, proxy.ns)) continue;
    for (const std::string& h : vs.hosts) scope->vs_hosts.add(registry::resolve_host(h, ns), i);
  }
  for (size_t i = 0; i < config.destination_rules.size(); ++i) {
    const model::DestinationRule& dr = config.destination_rules[i];
    const std::string& ns = ns_of(dr.meta);
    if (!exported_to(dr.export_to, ns, proxy.ns)) continue;
    if (dr.workload_selector &&
        (ns != proxy.ns || !selects(dr.workload_selector->match_labels, proxy.labels))) {
      continue;
    }
    scope->dr_hosts.add(registry::resolve_host(dr.host, ns), i);
  }
  return scope;
}

bool labels_matter(const model::ConfigSet& config) {
  for (const model::DestinationRule& dr : config.destination_rules) {
    if (dr.workload_selector) return true;
  }
  for (const model::VirtualService& vs : config.virtual_services) {
    for (const model::HTTPRoute& http : vs.http) {
      for (const model::HTTPMatchRequest& m : http.match) {
        if (!m.source_labels.empty()) return true;
      }
    }
  }
  return false;
}

std::string scope_key(const model::ConfigSet& config, const pc::ProxyIdentity& proxy, bool labels_matter) {
  const bool gateway = proxy.type == pc::ProxyIdentity::Type::kGateway;
  std::string key = gateway ? "gateway" : "sidecar";
  key += '\0';
  key += proxy.ns;
  key += '\0';
  const model::Sidecar* sidecar = gateway ? nullptr : find_sidecar(config, proxy);
  key += sidecar ? std::to_string(sidecar - config.sidecars.data()) : "-";
  if (gateway || labels_matter) {
    for (const auto& [k, v] : proxy.labels) key.append(1, '\0').append(k).append(1, '=').append(v);
  }
  return key;
}

std::shared_ptr<const RE2> RegexCache::get(const std::string& pattern) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = regexes_.try_emplace(pattern);
  if (inserted) it->second = std::make_shared<const RE2>(pattern, RE2::Quiet);
  return it->second;
}

Context::Context(const model::ConfigSet& c, const registry::Registry& r, const pc::ProxyIdentity& p,
                 std::shared_ptr<const Scope> s, RegexCache& regexes)
    : config(c),
      registry(r),
      proxy(p),
      scope(std::move(s)),
      gateway(scope->gateway),
      sidecar(scope->sidecar),
      services(scope->services),
      vs_hosts(scope->vs_hosts),
      dr_hosts(scope->dr_hosts),
      vs_by_name(scope->vs_by_name),
      regexes_(regexes) {}

bool Context::egress_allows(std::string_view ns, std::string_view host) const {
  return sidecar_egress_allows(sidecar, ns, host);
}

model::OutboundTrafficPolicy::Mode Context::outbound_mode() const {
  if (sidecar && sidecar->outbound_traffic_policy) return sidecar->outbound_traffic_policy->mode;
  return model::OutboundTrafficPolicy::Mode::kAllowAny;
}

std::vector<SelectedGateway> selected_gateways(const Context& ctx) {
  std::vector<SelectedGateway> out;
  if (!ctx.gateway) return out;
  for (const model::Gateway& g : ctx.config.gateways) {
    // An empty selector would select every proxy; Istio treats it the same way.
    if (selects(g.selector, ctx.proxy.labels)) out.push_back({ns_of(g.meta) + "/" + g.meta.name, &g});
  }
  return out;
}

std::string cluster_name(uint32_t port, std::string_view subset, std::string_view host) {
  std::string out;
  out.reserve(16 + subset.size() + host.size());
  out += "outbound|";
  out += std::to_string(port);
  out += '|';
  out += subset;
  out += '|';
  out += host;
  return out;
}

}  // namespace mesh::translate::detail
