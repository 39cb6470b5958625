#include "core/model/host_index.h"

#include <algorithm>

namespace mesh::model {

bool hosts_match(std::string_view a, std::string_view b) {
  if (a == b) return true;
  const bool wa = a.starts_with('*'), wb = b.starts_with('*');
  if (wa) a.remove_prefix(1);
  if (wb) b.remove_prefix(1);
  if (wa && wb) return a.ends_with(b) || b.ends_with(a);
  if (wa) return b.ends_with(a) && b.size() > a.size();
  if (wb) return a.ends_with(b) && a.size() > b.size();
  return false;
}

void HostIndex::add(std::string host, size_t index) {
  all_.emplace_back(host, index);
  if (host.starts_with('*')) wildcards_.emplace_back(host, index);
  else exact_.emplace(std::move(host), index);
}

std::vector<size_t> HostIndex::matches(const std::string& host) const {
  std::vector<size_t> out;
  if (host.starts_with('*')) {
    // A wildcard may cover any exact host: compare with every entry.
    for (const auto& [h, index] : all_) {
      if (hosts_match(h, host)) out.push_back(index);
    }
    return out;
  }
  // An exact host matches equal hosts and the wildcards that cover it.
  const auto [begin, end] = exact_.equal_range(host);
  for (auto it = begin; it != end; ++it) out.push_back(it->second);
  for (const auto& [h, index] : wildcards_) {
    if (hosts_match(h, host)) out.push_back(index);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace mesh::model
