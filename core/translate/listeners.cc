// Listeners. Sidecars: virtualOutbound (15001) and virtualInbound (15006), one
// HTTP listener per route table port ("0.0.0.0_9080") and one TCP listener per
// TCP service port ("VIP_port"). Gateways: one listener per server port. TCP
// listeners carry their VirtualService tcp route's destinations.
#include <algorithm>
#include <set>

#include "core/translate/context.h"

namespace mesh::translate::detail {
namespace {

pc::Listener make(std::string name, std::string address, uint32_t port, pc::Listener::Protocol protocol) {
  pc::Listener l;
  l.name = std::move(name);
  l.address = std::move(address);
  l.port = port;
  l.protocol = protocol;
  return l;
}

// The port a destination without one goes to: the service's only port when
// the registry knows it, else the listener's.
uint32_t default_port(const Context& ctx, const std::string& host, uint32_t listener_port) {
  for (const registry::Service* s : ctx.services) {
    if (s->hostname == host && s->ports.size() == 1) return s->ports.front().number;
  }
  return listener_port;
}

// The destinations of the first tcp route of `vs` that applies on `port`,
// weighted as Istio weights them (a lone destination without weight takes all);
// empty when none applies.
std::vector<pc::WeightedCluster> tcp_route(const Context& ctx, const model::VirtualService& vs, uint32_t port) {
  for (const model::TCPRoute& r : vs.tcp) {
    bool port_ok = r.match.empty();
    for (const model::L4MatchAttributes& m : r.match) port_ok = port_ok || m.port == 0 || m.port == port;
    if (!port_ok || r.route.empty()) continue;
    std::vector<pc::WeightedCluster> out;
    for (const model::RouteDestination& d : r.route) {
      pc::WeightedCluster c;
      c.host = registry::resolve_host(d.destination.host, vs.meta.ns.empty() ? "default" : vs.meta.ns);
      c.port = d.destination.port.number ? d.destination.port.number : default_port(ctx, c.host, port);
      c.subset = d.destination.subset;
      c.cluster = cluster_name(c.port, c.subset, c.host);
      c.weight = (r.route.size() == 1 && d.weight == 0) ? 100 : static_cast<uint32_t>(std::max(d.weight, 0));
      out.push_back(std::move(c));
    }
    return out;
  }
  return {};
}

// Connections go to the first destination, or split by weight when there are several.
void set_tcp_target(pc::Listener& l, std::vector<pc::WeightedCluster> clusters) {
  if (clusters.empty()) return;
  l.tcp_cluster = clusters.front().cluster;
  if (clusters.size() > 1) l.tcp_weighted = std::move(clusters);
}

// A sidecar's TCP service listener: the first VirtualService tcp route for the
// service's host, else the service itself.
void set_service_tcp_target(const Context& ctx, const registry::Service& s, uint32_t port, pc::Listener& l) {
  for (size_t i : ctx.vs_hosts.find(s.hostname)) {
    const model::VirtualService& vs = ctx.config.virtual_services[i];
    if (!vs_bound_to(vs, Binding{"", port})) continue;
    std::vector<pc::WeightedCluster> route = tcp_route(ctx, vs, port);
    if (!route.empty()) return set_tcp_target(l, std::move(route));
  }
  l.tcp_cluster = cluster_name(port, "", s.hostname);
}

// A gateway's TCP server: the first tcp route of a VirtualService bound to that gateway.
void set_gateway_tcp_target(const Context& ctx, const std::string& gateway, uint32_t port, pc::Listener& l) {
  for (const model::VirtualService& vs : ctx.config.virtual_services) {
    if (vs.gateways.empty() || !vs_bound_to(vs, Binding{gateway, port})) continue;
    std::vector<pc::WeightedCluster> route = tcp_route(ctx, vs, port);
    if (!route.empty()) return set_tcp_target(l, std::move(route));
  }
}

void sidecar_listeners(Context& ctx, pc::ProxyConfig& out) {
  using P = pc::Listener::Protocol;
  pc::Listener outbound = make("virtualOutbound", "0.0.0.0", 15001, P::kTcp);
  outbound.tcp_cluster = ctx.outbound_mode() == model::OutboundTrafficPolicy::Mode::kAllowAny
                             ? "PassthroughCluster"
                             : "BlackHoleCluster";
  out.listeners.push_back(std::move(outbound));
  pc::Listener inbound = make("virtualInbound", "0.0.0.0", 15006, P::kTcp);
  inbound.tcp_cluster = "InboundPassthroughCluster";
  out.listeners.push_back(std::move(inbound));
  for (const pc::RouteTable& t : out.route_tables) {
    pc::Listener l =
        make("0.0.0.0_" + t.name, "0.0.0.0", static_cast<uint32_t>(std::stoul(t.name)), P::kHttp);
    l.route_table = t.name;
    out.listeners.push_back(std::move(l));
  }
  for (const registry::Service* s : ctx.services) {
    for (const registry::Port& p : s->ports) {
      if (registry::is_http_like(p.protocol)) continue;
      const std::string address = s->vip.empty() ? "0.0.0.0" : s->vip;
      const P protocol = p.protocol == registry::Protocol::kTls || p.protocol == registry::Protocol::kHttps
                             ? P::kTls
                             : P::kTcp;
      pc::Listener l = make(address + "_" + std::to_string(p.number), address, p.number, protocol);
      set_service_tcp_target(ctx, *s, p.number, l);
      out.listeners.push_back(std::move(l));
    }
  }
}

void gateway_listeners(Context& ctx, pc::ProxyConfig& out) {
  using P = pc::Listener::Protocol;
  std::set<uint32_t> seen;
  for (const SelectedGateway& g : selected_gateways(ctx)) {
    for (const model::Server& s : g.gateway->servers) {
      if (!seen.insert(s.port.number).second) continue;
      const std::string address = s.bind.empty() ? "0.0.0.0" : s.bind;
      const std::string& proto = s.port.protocol;
      const bool http = proto == "HTTP" || proto == "HTTP2" || proto == "GRPC";
      const bool passthrough = s.tls && (s.tls->mode == model::ServerTLSSettings::Mode::kPassthrough ||
                                         s.tls->mode == model::ServerTLSSettings::Mode::kAutoPassthrough);
      pc::Listener l = make(address + "_" + std::to_string(s.port.number), address, s.port.number,
                            http ? P::kHttp : (proto == "TCP" ? P::kTcp : P::kTls));
      if (http || (proto == "HTTPS" && !passthrough)) {
        l.protocol = http ? P::kHttp : P::kTls;
        l.route_table = proto == "HTTPS"
                            ? "https." + std::to_string(s.port.number) + "." + s.port.name + "." +
                                  g.gateway->meta.name + "." + g.key.substr(0, g.key.find('/'))
                            : "http." + std::to_string(s.port.number);
      }
      if (l.protocol == P::kTcp) set_gateway_tcp_target(ctx, g.key, s.port.number, l);
      out.listeners.push_back(std::move(l));
    }
  }
}

}  // namespace

void build_listeners(Context& ctx, pc::ProxyConfig& out) {
  if (ctx.gateway) {
    gateway_listeners(ctx, out);
  } else {
    sidecar_listeners(ctx, out);
  }
}

}  // namespace mesh::translate::detail
