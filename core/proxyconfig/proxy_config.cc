#include "core/proxyconfig/proxy_config.h"

#include <algorithm>

namespace mesh::pc {

void RouteTable::index() {
  exact_domains.clear();
  wildcard_suffixes.clear();
  catch_all.reset();
  for (size_t i = 0; i < virtual_hosts.size(); ++i) {
    for (const std::string& domain : virtual_hosts[i].domains) {
      if (domain == "*") {
        if (!catch_all) catch_all = i;
      } else if (domain.starts_with("*")) {
        wildcard_suffixes.emplace_back(domain.substr(1), i);
      } else {
        exact_domains.emplace(domain, i);
      }
    }
  }
  // Envoy picks the longest wildcard suffix first.
  std::stable_sort(wildcard_suffixes.begin(), wildcard_suffixes.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

const RouteTable* ProxyConfig::find_route_table(std::string_view name) const {
  for (const RouteTable& t : route_tables) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const Cluster* ProxyConfig::find_cluster(std::string_view name) const {
  for (const Cluster& c : clusters) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace mesh::pc
