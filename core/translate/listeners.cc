// Listeners. Sidecars: virtualOutbound (15001) and virtualInbound (15006), one
// HTTP listener per route table port ("0.0.0.0_9080") and one TCP listener per
// TCP service port ("VIP_port"). Gateways: one listener per server port.
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

// The single TCP destination of the first VirtualService tcp route for `host`, if any.
std::string tcp_destination(const Context& ctx, const registry::Service& s, uint32_t port) {
  for (size_t i : ctx.vs_hosts.find(s.hostname)) {
    const model::VirtualService& vs = ctx.config.virtual_services[i];
    if (!vs_bound_to(vs, Binding{"", port})) continue;
    for (const model::TCPRoute& r : vs.tcp) {
      bool port_ok = r.match.empty();
      for (const model::L4MatchAttributes& m : r.match) port_ok = port_ok || m.port == 0 || m.port == port;
      if (!port_ok || r.route.empty()) continue;
      const model::Destination& d = r.route.front().destination;
      const std::string host = registry::resolve_host(d.host, vs.meta.ns.empty() ? "default" : vs.meta.ns);
      return cluster_name(d.port.number ? d.port.number : port, d.subset, host);
    }
  }
  return cluster_name(port, "", s.hostname);
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
      l.tcp_cluster = tcp_destination(ctx, *s, p.number);
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
