// HTTP route tables. Sidecars: one table per service port ("9080") with one
// virtual host per service on that port. Gateways: one table per server port
// ("http.8080") with virtual hosts from the VirtualServices bound to the gateway.
#include <algorithm>
#include <map>
#include <set>

#include "core/translate/context.h"

namespace mesh::translate::detail {
namespace {

using registry::host_matches;

const std::string& ns_of(const model::Meta& m) {
  static const std::string kDefault = "default";
  return m.ns.empty() ? kDefault : m.ns;
}

void add_with_port(std::vector<std::string>& domains, const std::string& host, uint32_t port) {
  domains.push_back(host);
  domains.push_back(host + ":" + std::to_string(port));
}

std::vector<std::string> service_domains(const Context& ctx, const registry::Service& s, uint32_t port) {
  std::vector<std::string> domains;
  domains.reserve(10);
  add_with_port(domains, s.hostname, port);
  if (s.origin == registry::Service::Origin::kKubernetes) {
    // The short name only resolves from the service's own namespace.
    if (s.ns == ctx.proxy.ns) add_with_port(domains, s.name, port);
    add_with_port(domains, s.name + "." + s.ns, port);
    add_with_port(domains, s.name + "." + s.ns + ".svc", port);
  }
  if (!s.vip.empty()) add_with_port(domains, s.vip, port);
  return domains;
}

// The first VirtualService (config order) bound to the mesh for `host` with routes on `port`.
std::vector<pc::Route> mesh_routes_for(Context& ctx, const std::string& host, uint32_t port) {
  const Binding mesh{"", port};
  for (size_t i : ctx.vs_hosts.find(host)) {
    const model::VirtualService& vs = ctx.config.virtual_services[i];
    if (!vs_bound_to(vs, mesh)) continue;
    std::vector<pc::Route> routes = build_vs_routes(ctx, vs, mesh);
    if (!routes.empty()) return routes;
  }
  return {};
}

pc::VirtualHost passthrough_vhost(const Context& ctx) {
  const bool allow = ctx.outbound_mode() == model::OutboundTrafficPolicy::Mode::kAllowAny;
  pc::VirtualHost v;
  v.name = allow ? "allow_any" : "block_all";
  v.domains = {"*"};
  pc::Route r;
  r.name = v.name;
  if (allow) {
    pc::ForwardAction f;
    f.clusters.push_back(pc::WeightedCluster{"PassthroughCluster", "", 0, "", 100, {}, {}});
    f.total_weight = 100;
    r.action = std::move(f);
  } else {
    r.action = pc::DirectResponseAction{502, ""};
  }
  v.routes.push_back(std::move(r));
  return v;
}

// VirtualService hosts bound to the mesh that name no visible service still get
// a virtual host on every port (traffic to them passes through).
void add_serviceless_vhosts(Context& ctx, uint32_t port, std::vector<pc::VirtualHost>& out) {
  std::set<std::string> seen;
  for (const auto& [host, indexes] : ctx.vs_hosts.exact) {
    if (ctx.registry.find(host) || !ctx.egress_allows("", host) || seen.count(host)) continue;
    std::vector<pc::Route> routes = mesh_routes_for(ctx, host, port);
    if (routes.empty()) continue;
    seen.insert(host);
    pc::VirtualHost v;
    v.name = host + ":" + std::to_string(port);
    add_with_port(v.domains, host, port);
    v.routes = std::move(routes);
    out.push_back(std::move(v));
  }
}

pc::RouteTable sidecar_table(Context& ctx, uint32_t port) {
  pc::RouteTable t;
  t.name = std::to_string(port);
  for (const registry::Service* s : ctx.services) {
    const registry::Port* p = s->find_port(port);
    if (!p || !registry::is_http_like(p->protocol)) continue;
    pc::VirtualHost v;
    v.name = s->hostname + ":" + std::to_string(port);
    v.domains = service_domains(ctx, *s, port);
    v.routes = mesh_routes_for(ctx, s->hostname, port);
    if (v.routes.empty()) v.routes.push_back(default_route(*s, port));
    t.virtual_hosts.push_back(std::move(v));
  }
  add_serviceless_vhosts(ctx, port, t.virtual_hosts);
  std::stable_sort(t.virtual_hosts.begin(), t.virtual_hosts.end(),
                   [](const auto& a, const auto& b) { return a.name < b.name; });
  t.virtual_hosts.push_back(passthrough_vhost(ctx));
  return t;
}

bool http_server(const model::Server& s) {
  const std::string& p = s.port.protocol;
  if (p == "HTTP" || p == "HTTP2" || p == "GRPC") return true;
  // HTTPS terminated at the gateway is routed like HTTP.
  return p == "HTTPS" && s.tls && s.tls->mode != model::ServerTLSSettings::Mode::kPassthrough &&
         s.tls->mode != model::ServerTLSSettings::Mode::kAutoPassthrough;
}

std::string gateway_table_name(const SelectedGateway& g, const model::Server& s) {
  if (s.port.protocol != "HTTPS") return "http." + std::to_string(s.port.number);
  return "https." + std::to_string(s.port.number) + "." + s.port.name + "." + g.gateway->meta.name + "." +
         ns_of(g.gateway->meta);
}

// "ns/host" in a Gateway server: the namespace part limits which VirtualServices apply.
bool server_host_admits(std::string_view entry, std::string_view gw_ns, std::string_view vs_ns,
                        std::string_view vs_host, std::string& vhost_host) {
  std::string_view host = entry;
  if (size_t slash = entry.find('/'); slash != std::string_view::npos) {
    std::string_view ns = entry.substr(0, slash);
    host = entry.substr(slash + 1);
    if (ns != "*" && !(ns == "." ? vs_ns == gw_ns : vs_ns == ns)) return false;
  }
  if (!host_matches(host, vs_host)) return false;
  // The virtual host takes the more specific of the two names.
  vhost_host = host == "*" || (host.starts_with("*") && !vs_host.starts_with("*")) ? std::string(vs_host)
                                                                                   : std::string(host);
  return true;
}

void add_gateway_vhosts(Context& ctx, const SelectedGateway& g, const model::Server& server,
                        std::map<std::string, pc::VirtualHost>& vhosts, std::vector<std::string>& order) {
  const Binding binding{g.key, server.port.number};
  const std::string& gw_ns = ns_of(g.gateway->meta);
  for (const model::VirtualService& vs : ctx.config.virtual_services) {
    if (vs.hosts.empty() || !vs_bound_to(vs, binding)) continue;
    if (!registry::exported_to(vs.export_to, ns_of(vs.meta), gw_ns)) continue;
    std::vector<pc::Route> routes;
    bool built = false;
    for (const std::string& vs_host : vs.hosts) {
      for (const std::string& entry : server.hosts) {
        std::string host;
        if (!server_host_admits(entry, gw_ns, ns_of(vs.meta), vs_host, host)) continue;
        if (!built) routes = build_vs_routes(ctx, vs, binding), built = true;
        if (routes.empty()) continue;
        const std::string name = host + ":" + std::to_string(server.port.number);
        auto [it, inserted] = vhosts.try_emplace(name);
        if (inserted) {
          order.push_back(name);
          it->second.name = name;
          if (host == "*")
            it->second.domains = {"*"};
          else
            add_with_port(it->second.domains, host, server.port.number);
        }
        // Several VirtualServices for one host on a gateway are merged in order.
        auto& dst = it->second.routes;
        dst.insert(dst.end(), routes.begin(), routes.end());
        break;
      }
    }
  }
}

}  // namespace

std::vector<pc::RouteTable> build_sidecar_route_tables(Context& ctx) {
  std::vector<pc::RouteTable> out;
  std::set<uint32_t> ports;
  for (const registry::Service* s : ctx.services) {
    for (const registry::Port& p : s->ports) {
      if (registry::is_http_like(p.protocol)) ports.insert(p.number);
    }
  }
  for (uint32_t port : ports) {
    out.push_back(sidecar_table(ctx, port));
    out.back().index();
  }
  return out;
}

std::vector<pc::RouteTable> build_gateway_route_tables(Context& ctx) {
  std::vector<pc::RouteTable> out;
  std::map<std::string, std::pair<std::map<std::string, pc::VirtualHost>, std::vector<std::string>>> tables;
  for (const SelectedGateway& g : selected_gateways(ctx)) {
    for (const model::Server& server : g.gateway->servers) {
      if (!http_server(server)) continue;
      auto& [vhosts, order] = tables[gateway_table_name(g, server)];
      add_gateway_vhosts(ctx, g, server, vhosts, order);
    }
  }
  for (auto& [name, entry] : tables) {
    pc::RouteTable t;
    t.name = name;
    for (const std::string& vname : entry.second) t.virtual_hosts.push_back(std::move(entry.first[vname]));
    t.index();
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace mesh::translate::detail
