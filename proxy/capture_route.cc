#include "proxy/capture_route.h"

namespace mesh::proxy {
namespace {

using Kind = CaptureRoute::Kind;
using Protocol = pc::Listener::Protocol;

bool is_capture_listener(const pc::Listener& l) {
  return l.name == "virtualOutbound" || l.name == "virtualInbound";
}

CaptureRoute from_listener(const pc::Listener& l) {
  CaptureRoute r;
  if (l.protocol == Protocol::kHttp) {
    r.kind = Kind::kHttp;
    r.route_table = l.route_table;
  } else {
    r.kind = Kind::kTcp;
    r.tcp = tcp_target(l);
    r.cluster = r.tcp.cluster;
  }
  return r;
}

// The table's virtual hosts list each service's VIP (and VIP:port) among
// their domains, so the index already answers "is this a service address".
bool table_knows_address(const pc::ProxyConfig& config, const pc::Listener& l, std::string_view ip) {
  const pc::RouteTable* table = config.find_route_table(l.route_table);
  return table != nullptr && !ip.empty() && table->exact_domains.find(ip) != table->exact_domains.end();
}

}  // namespace

const std::string& TcpTarget::pick(uint64_t random) const {
  uint64_t total = 0;
  for (const auto& [name, weight] : weighted) total += weight;
  if (total == 0) return cluster;
  uint64_t at = random % total;
  for (const auto& [name, weight] : weighted) {
    if (at < weight) return name;
    at -= weight;
  }
  return cluster;
}

TcpTarget tcp_target(const pc::Listener& l) {
  TcpTarget t;
  t.cluster = l.tcp_cluster;
  for (const pc::WeightedCluster& c : l.tcp_weighted) t.weighted.emplace_back(c.cluster, c.weight);
  return t;
}

CaptureRoute route_outbound(const pc::ProxyConfig& config, std::string_view ip, uint32_t port) {
  const bool registry_only = config.outbound_policy == model::OutboundTrafficPolicy::Mode::kRegistryOnly;
  const pc::Listener* http = nullptr;
  const pc::Listener* tcp_any = nullptr;
  for (const pc::Listener& l : config.listeners) {
    if (l.port != port || is_capture_listener(l)) continue;
    if (l.address == ip) return from_listener(l);
    if (l.address != "0.0.0.0") continue;
    if (l.protocol == Protocol::kHttp) {
      if (http == nullptr) http = &l;
    } else if (tcp_any == nullptr) {
      tcp_any = &l;
    }
  }
  if (http != nullptr && (registry_only || table_knows_address(config, *http, ip)))
    return from_listener(*http);
  if (tcp_any != nullptr) return from_listener(*tcp_any);
  CaptureRoute r;
  r.kind = registry_only ? Kind::kBlackHole : Kind::kPassthrough;
  r.cluster = registry_only ? "BlackHoleCluster" : "PassthroughCluster";
  return r;
}

CaptureRoute route_inbound(const pc::ProxyConfig& config, uint32_t port) {
  CaptureRoute r;
  std::string name = "inbound|" + std::to_string(port) + "||";
  if (const pc::Cluster* c = config.find_cluster(name); c != nullptr && !c->endpoints.empty()) {
    r.kind = Kind::kTcp;
    r.cluster = r.tcp.cluster = std::move(name);
    return r;
  }
  r.kind = Kind::kPassthrough;
  r.cluster = "InboundPassthroughCluster";
  return r;
}

std::string_view capture_kind_name(CaptureRoute::Kind kind) {
  switch (kind) {
    case Kind::kHttp:
      return "http";
    case Kind::kTcp:
      return "tcp";
    case Kind::kPassthrough:
      return "passthrough";
    case Kind::kBlackHole:
      return "blackhole";
  }
  return "";
}

}  // namespace mesh::proxy
