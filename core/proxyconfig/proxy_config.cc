#include "core/proxyconfig/proxy_config.h"

#include <algorithm>

namespace mesh::pc {

namespace {

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void longest_first(std::vector<std::pair<std::string, size_t>>& v) {
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

}  // namespace

// Envoy's order: exact domains, then the longest suffix wildcard, then the
// longest prefix wildcard, then "*". Domains compare case-insensitively, so
// the index holds them lower-cased; the first virtual host to claim a domain wins.
void RouteTable::index() {
  exact_domains.clear();
  wildcard_suffixes.clear();
  wildcard_prefixes.clear();
  catch_all.reset();
  for (size_t i = 0; i < virtual_hosts.size(); ++i) {
    for (const std::string& domain : virtual_hosts[i].domains) {
      if (domain == "*") {
        if (!catch_all) catch_all = i;
      } else if (domain.starts_with("*")) {
        wildcard_suffixes.emplace_back(lower_ascii(domain.substr(1)), i);
      } else if (domain.ends_with("*")) {
        wildcard_prefixes.emplace_back(lower_ascii(domain.substr(0, domain.size() - 1)), i);
      } else {
        exact_domains.emplace(lower_ascii(domain), i);
      }
    }
  }
  longest_first(wildcard_suffixes);
  longest_first(wildcard_prefixes);
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
