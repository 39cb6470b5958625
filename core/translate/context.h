// Internal to translation: what one translate() call knows about its proxy and
// the indexes it builds once (VirtualServices and DestinationRules by host) so
// that every builder looks things up instead of scanning. The indexes depend
// only on the proxy's scope (see scope_key), so proxies that share a scope
// share one immutable Scope.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/model/config_set.h"
#include "core/proxyconfig/proxy_config.h"
#include "core/registry/registry.h"

namespace mesh::translate::detail {

// Objects indexed by resolved host: exact FQDNs in a map, wildcards in a list.
struct HostIndex {
  std::unordered_map<std::string, std::vector<size_t>> exact;
  std::vector<std::pair<std::string, size_t>> wildcards;
  void add(const std::string& host, size_t index);
  // Indexes of objects with a host matching `host`, ascending (config order).
  std::vector<size_t> find(const std::string& host) const;
};

// What a proxy may see. Equal for every proxy with the same scope_key, built once per key.
struct Scope {
  bool gateway = false;
  const model::Sidecar* sidecar = nullptr;             // the Sidecar resource scoping this proxy
  std::vector<const registry::Service*> services;      // visible to this proxy, sorted by hostname
  HostIndex vs_hosts;                                  // non-delegate VirtualServices exported to this proxy
  HostIndex dr_hosts;                                  // DestinationRules exported to this proxy
  std::unordered_map<std::string, size_t> vs_by_name;  // "ns/name", for delegates

  static std::shared_ptr<const Scope> build(const model::ConfigSet& config,
                                            const registry::Registry& registry,
                                            const pc::ProxyIdentity& proxy);
};

// The Sidecar resource that applies to `proxy` (Istio's precedence), or null.
const model::Sidecar* find_sidecar(const model::ConfigSet& config, const pc::ProxyIdentity& proxy);
// Whether any object makes translation depend on a sidecar's labels beyond the
// Sidecar resource that applies (sourceLabels matches, DestinationRule selectors).
bool labels_matter(const model::ConfigSet& config);
// Proxies with equal keys get the same Scope and the same route tables: type,
// namespace, applicable Sidecar, and labels when they matter (always for gateways).
std::string scope_key(const model::ConfigSet& config, const pc::ProxyIdentity& proxy, bool labels_matter);

// Compiled regexes by pattern; shared between proxies (and threads) of one generation.
class RegexCache {
 public:
  std::shared_ptr<const RE2> get(const std::string& pattern);

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const RE2>> regexes_;
};

struct Context {
  Context(const model::ConfigSet& c, const registry::Registry& r, const pc::ProxyIdentity& p,
          std::shared_ptr<const Scope> s, RegexCache& regexes);

  const model::ConfigSet& config;
  const registry::Registry& registry;
  const pc::ProxyIdentity& proxy;
  const std::shared_ptr<const Scope> scope;
  const bool gateway;
  const model::Sidecar* const sidecar;
  const std::vector<const registry::Service*>& services;
  const HostIndex& vs_hosts;
  const HostIndex& dr_hosts;
  const std::unordered_map<std::string, size_t>& vs_by_name;

  // Sidecar egress scoping for a host in namespace `ns`.
  bool egress_allows(std::string_view ns, std::string_view host) const;
  std::shared_ptr<const RE2> regex(const std::string& pattern) { return regexes_.get(pattern); }
  model::OutboundTrafficPolicy::Mode outbound_mode() const;

 private:
  RegexCache& regexes_;
};
// A gateway serving this proxy: its "ns/name" key and object.
struct SelectedGateway {
  std::string key;
  const model::Gateway* gateway = nullptr;
};
std::vector<SelectedGateway> selected_gateways(const Context& ctx);

// "outbound|9080|v2|reviews.default.svc.cluster.local"
std::string cluster_name(uint32_t port, std::string_view subset, std::string_view host);

// Where one VirtualService is bound: the mesh (sidecars) or one gateway ("ns/name").
struct Binding {
  std::string gateway;  // "" for the mesh
  uint32_t port = 0;    // listener port the routes serve
};

// routes.cc: the routes of one VirtualService for one binding; empty when none apply.
std::vector<pc::Route> build_vs_routes(Context& ctx, const model::VirtualService& vs, const Binding& b);
// The route Istio gives a service without VirtualService.
pc::Route default_route(const registry::Service& service, uint32_t port);
bool vs_bound_to(const model::VirtualService& vs, const Binding& b);

// Builders.
std::vector<pc::RouteTable> build_sidecar_route_tables(Context& ctx);
std::vector<pc::RouteTable> build_gateway_route_tables(Context& ctx);
// Clusters come in two parts: the scope's (special and outbound: the same for
// every proxy of the scope, so built and encoded once) and the proxy's own
// (inbound, from its labels); a config lists the scope's first.
std::vector<pc::Cluster> build_scope_clusters(const Context& ctx);
void build_own_clusters(const Context& ctx, std::vector<pc::Cluster>& out);
void build_listeners(Context& ctx, pc::ProxyConfig& out);

}  // namespace mesh::translate::detail
