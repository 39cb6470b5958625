// Admin /clusters: Envoy's text listing of every cluster's limits and
// endpoints (health, outlier ejection, connection and request counters).
// Counters live per worker; the admin thread collects a snapshot from each
// through post() and sums them here.
#pragma once

#include <string>
#include <unordered_map>

#include "core/proxyconfig/proxy_config.h"
#include "proxy/upstream.h"

namespace mesh::proxy {

using EndpointSnapshots = std::unordered_map<std::string, EndpointSnapshot>;  // by endpoint_key()

// Sums counters; an endpoint counts as ejected when any worker ejected it.
void merge_snapshots(EndpointSnapshots& into, const EndpointSnapshots& from);
std::string format_clusters(const pc::ProxyConfig& config, const EndpointSnapshots& endpoints);

}  // namespace mesh::proxy
