// Translation: (config, registry, proxy identity) -> the ProxyConfig of that proxy,
// with Istio's semantics. A pure function: the same inputs give the same output.
// SharedTranslation gives the same output for many proxies of one config
// generation, sharing what their scopes have in common. Builders, one per output kind:
// route_tables.cc (+ routes.cc for one VirtualService's routes), clusters.cc,
// listeners.cc; scope.cc decides what the proxy may see (exportTo, Sidecar).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/model/config_set.h"
#include "core/proxyconfig/proxy_config.h"
#include "core/registry/registry.h"

namespace mesh::translate {

std::shared_ptr<const pc::ProxyConfig> translate(const model::ConfigSet& config,
                                                 const registry::Registry& registry,
                                                 const pc::ProxyIdentity& proxy);

// Translation for the many proxies of one (config, registry) generation, each
// result equal to translate()'s. Proxies whose inputs are the same (type,
// namespace, applicable Sidecar, and labels when the config makes labels
// matter) share one scope: its indexes, route tables and outbound clusters are
// built once (and encoded once, by encode()); every such config points at the
// same immutable route table list. Listeners and inbound clusters are built per
// proxy (endpoint lists are shared by the registry).
// The config and registry must outlive this object and not change: a new
// generation gets a new SharedTranslation. translate() is thread-safe.
// A proxy's config as compact JSON, in pieces: to_json(config, -1) is
// start(N) + head + *shared + tail. `shared` (route tables and the scope's
// clusters) is encoded once per scope and shared by its proxies, so a push to
// many proxies encodes and hashes mostly small per-proxy parts.
struct EncodedConfig {
  std::string head;                           // `,"proxy":{…},…,"routeTables":`
  std::shared_ptr<const std::string> shared;  // `[…],"clusters":[` and the scope's clusters
  std::string tail;                           // the proxy's own clusters, each after a comma; `]}`
  uint64_t hash = 0;                          // of head, shared and tail (not of a version)

  // The config object up to its first member's value: `{"version":N`.
  static std::string start(uint64_t version) { return "{\"version\":" + std::to_string(version); }
  // The whole config with `version` (compact, without the dump's trailing newline).
  std::string text(uint64_t version) const { return start(version) + head + *shared + tail; }
};

class SharedTranslation {
 public:
  SharedTranslation(const model::ConfigSet& config, const registry::Registry& registry);
  ~SharedTranslation();
  SharedTranslation(const SharedTranslation&) = delete;
  SharedTranslation& operator=(const SharedTranslation&) = delete;

  std::shared_ptr<const pc::ProxyConfig> translate(const pc::ProxyIdentity& proxy);
  // The same config, encoded: equal to to_json(*translate(proxy), -1) after the version.
  EncodedConfig encode(const pc::ProxyIdentity& proxy);
  size_t scope_count() const;  // distinct scopes seen so far

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Every field of a ProxyConfig as JSON text (indent < 0: compact) or YAML, for
// `mesh routes -o json|yaml` and golden tests. Keys keep a fixed order.
std::string to_json(const pc::ProxyConfig& config, int indent = 2);
std::string to_yaml(const pc::ProxyConfig& config);

}  // namespace mesh::translate
