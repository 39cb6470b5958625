// Clusters: one per visible service port (outbound|9080||host) plus one per
// DestinationRule subset (outbound|9080|v2|host), with the merged traffic policy;
// inbound clusters for the services this sidecar's workload serves.
#include <algorithm>

#include "core/translate/context.h"

namespace mesh::translate::detail {
namespace {

const std::string& ns_of(const model::Meta& m) {
  static const std::string kDefault = "default";
  return m.ns.empty() ? kDefault : m.ns;
}

constexpr std::string_view kRootNamespace = "istio-system";

// The DestinationRule Istio applies for `service` from this proxy: the proxy's
// namespace first, then the service's, then the root namespace; exact hosts over
// wildcards; then config order.
const model::DestinationRule* find_rule(const Context& ctx, const registry::Service& service) {
  const model::DestinationRule* best = nullptr;
  int best_rank = 1 << 20;
  for (size_t i : ctx.dr_hosts.find(service.hostname)) {
    const model::DestinationRule& dr = ctx.config.destination_rules[i];
    const std::string& ns = ns_of(dr.meta);
    const int ns_rank = ns == ctx.proxy.ns ? 0 : ns == service.ns ? 1 : ns == kRootNamespace ? 2 : -1;
    if (ns_rank < 0) continue;
    const bool wildcard = registry::resolve_host(dr.host, ns) != service.hostname;
    const int rank = ns_rank * 2 + (wildcard ? 1 : 0);
    if (rank < best_rank) best = &dr, best_rank = rank;
  }
  return best;
}

struct Policy {
  std::optional<model::LoadBalancerSettings> load_balancer;
  std::optional<model::ConnectionPoolSettings> connection_pool;
  std::optional<model::OutlierDetection> outlier_detection;
  std::optional<model::ClientTLSSettings> tls;

  template <class P>
  void override_with(const P& p) {
    if (p.load_balancer) load_balancer = p.load_balancer;
    if (p.connection_pool) connection_pool = p.connection_pool;
    if (p.outlier_detection) outlier_detection = p.outlier_detection;
    if (p.tls) tls = p.tls;
  }
  // A policy's own fields, then its settings for `port` over them.
  void apply(const model::TrafficPolicy& tp, uint32_t port) {
    override_with(tp);
    for (const model::PortTrafficPolicy& pl : tp.port_level_settings) {
      if (pl.port.number == port) override_with(pl);
    }
  }
};

void set_policy(pc::Cluster& c, const Policy& p) {
  if (p.load_balancer) {
    c.load_balancer.consistent_hash = p.load_balancer->consistent_hash;
    if (p.load_balancer->simple != model::LoadBalancerSettings::Simple::kUnspecified) {
      c.load_balancer.simple = p.load_balancer->simple;
    }
  }
  c.connection_pool = p.connection_pool;
  c.outlier_detection = p.outlier_detection;
  c.tls = p.tls;
}

pc::Cluster outbound(const Context& ctx, const registry::Service& s, const registry::Port& port,
                     const model::Subset* subset) {
  pc::Cluster c;
  c.name = cluster_name(port.number, subset ? subset->name : "", s.hostname);
  c.service_host = s.hostname;
  c.port = port.number;
  c.passthrough = s.resolution == model::ServiceEntry::Resolution::kNone;
  c.endpoints = ctx.registry.endpoints(s, port, subset ? &subset->labels : nullptr);
  if (subset) c.subset = subset->name;
  return c;
}

void add_service_clusters(const Context& ctx, const registry::Service& s, std::vector<pc::Cluster>& out) {
  const model::DestinationRule* dr = find_rule(ctx, s);
  for (const registry::Port& port : s.ports) {
    Policy top;
    if (dr && dr->traffic_policy) top.apply(*dr->traffic_policy, port.number);
    out.push_back(outbound(ctx, s, port, nullptr));
    set_policy(out.back(), top);
    if (!dr) continue;
    for (const model::Subset& subset : dr->subsets) {
      Policy merged = top;
      if (subset.traffic_policy) merged.apply(*subset.traffic_policy, port.number);
      out.push_back(outbound(ctx, s, port, &subset));
      set_policy(out.back(), merged);
    }
  }
}

// Services in the proxy's namespace whose selector picks this workload.
void add_inbound_clusters(const Context& ctx, std::vector<pc::Cluster>& out) {
  if (ctx.gateway || ctx.proxy.labels.empty()) return;
  std::vector<uint32_t> seen;
  for (const registry::Service& s : ctx.registry.services()) {
    if (s.ns != ctx.proxy.ns || !s.has_selector || !registry::selects(s.selector, ctx.proxy.labels)) continue;
    for (const registry::Port& p : s.ports) {
      const uint32_t target = p.target_port ? p.target_port : p.number;
      if (std::find(seen.begin(), seen.end(), target) != seen.end()) continue;
      seen.push_back(target);
      pc::Cluster c;
      c.name = "inbound|" + std::to_string(target) + "||";
      c.direction = pc::Cluster::Direction::kInbound;
      c.service_host = s.hostname;
      c.port = target;
      c.endpoints.push_back(pc::Endpoint{"127.0.0.1", target, ctx.proxy.labels, ctx.proxy.name,
                                         ctx.proxy.service_account, 1, true});
      out.push_back(std::move(c));
    }
  }
}

pc::Cluster special(std::string name, bool passthrough) {
  pc::Cluster c;
  c.name = std::move(name);
  c.passthrough = passthrough;
  return c;
}

}  // namespace

std::vector<pc::Cluster> build_scope_clusters(const Context& ctx) {
  std::vector<pc::Cluster> out;
  out.push_back(special("BlackHoleCluster", false));
  out.push_back(special("PassthroughCluster", true));
  if (!ctx.gateway) out.push_back(special("InboundPassthroughCluster", true));
  for (const registry::Service* s : ctx.services) add_service_clusters(ctx, *s, out);
  return out;
}

void build_own_clusters(const Context& ctx, std::vector<pc::Cluster>& out) { add_inbound_clusters(ctx, out); }

}  // namespace mesh::translate::detail
