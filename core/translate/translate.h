// Translation: (config, registry, proxy identity) -> the ProxyConfig of that proxy,
// with Istio's semantics. A pure function: the same inputs give the same output,
// and nothing is cached between calls. Builders, one per output kind:
// route_tables.cc (+ routes.cc for one VirtualService's routes), clusters.cc,
// listeners.cc; scope.cc decides what the proxy may see (exportTo, Sidecar).
#pragma once

#include <memory>
#include <string>

#include "core/model/config_set.h"
#include "core/proxyconfig/proxy_config.h"
#include "core/registry/registry.h"

namespace mesh::translate {

std::shared_ptr<const pc::ProxyConfig> translate(const model::ConfigSet& config,
                                                 const registry::Registry& registry,
                                                 const pc::ProxyIdentity& proxy);

// Every field of a ProxyConfig as JSON text (indent < 0: compact) or YAML, for
// `mesh routes -o json|yaml` and golden tests. Keys keep a fixed order.
std::string to_json(const pc::ProxyConfig& config, int indent = 2);
std::string to_yaml(const pc::ProxyConfig& config);

}  // namespace mesh::translate
