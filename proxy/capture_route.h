// Where a captured connection goes, decided from its original destination the
// way Envoy's virtualOutbound / virtualInbound listeners hand connections to
// Istio's per-port listeners and filter chains. Pure functions of the config.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/proxyconfig/proxy_config.h"

namespace mesh::proxy {

// Where a TCP listener's connections go: one cluster, or split by weight
// (Istio's weighted tcp route destinations).
struct TcpTarget {
  std::string cluster;
  std::vector<std::pair<std::string, uint32_t>> weighted;  // cluster, weight
  bool operator==(const TcpTarget&) const = default;
  // The cluster for one connection; `random` is uniform.
  const std::string& pick(uint64_t random) const;
};
TcpTarget tcp_target(const pc::Listener& l);

struct CaptureRoute {
  enum class Kind {
    kHttp,         // served by the HTTP router with `route_table`, as if it arrived on `port`
    kTcp,          // relayed to an endpoint of a cluster of `tcp`
    kPassthrough,  // relayed to the original destination unchanged
    kBlackHole,    // refused: closed at once
  };
  Kind kind = Kind::kBlackHole;
  std::string route_table;
  std::string cluster;  // kTcp: tcp.cluster; else the Envoy cluster name it stands for
  TcpTarget tcp;
};

// Outbound (15001): a TCP service listener for exactly ip:port; else the
// port's HTTP route table when `ip` is one of its services' addresses (or when
// REGISTRY_ONLY, so that its block_all host answers 502 as Istio does); else
// a TCP listener for the port on any address; else the outbound policy:
// ALLOW_ANY passes through, REGISTRY_ONLY refuses.
CaptureRoute route_outbound(const pc::ProxyConfig& config, std::string_view ip, uint32_t port);

// Inbound (15006): the workload's inbound|PORT|| cluster when a service
// targets the port, else the inbound passthrough to the original destination.
CaptureRoute route_inbound(const pc::ProxyConfig& config, uint32_t port);

std::string_view capture_kind_name(CaptureRoute::Kind kind);

}  // namespace mesh::proxy
