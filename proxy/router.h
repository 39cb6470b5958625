// Request -> route -> destination, for one request on a listener.
#pragma once

#include <cstdint>

#include "core/net/http1.h"
#include "core/proxyconfig/proxy_config.h"

namespace mesh::proxy {

struct RouteDecision {
  const pc::Route* route = nullptr;                  // nullptr: no route (NR)
  const pc::WeightedCluster* destination = nullptr;  // set for forwarding routes
  size_t match_index = 0;                            // the route's match block that matched
};

RouteDecision route_request(const pc::RouteTable& table, const net::Http1Head& head, uint32_t port,
                            uint64_t random);

}  // namespace mesh::proxy
