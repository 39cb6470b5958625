// Hosts as Istio config names them (an FQDN or "*.suffix") and the objects
// that name them, for finding every object whose host can name the same
// service as a given one without comparing against all of them.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mesh::model {

// True if the two hosts can name the same service; either may be a wildcard.
bool hosts_match(std::string_view a, std::string_view b);

class HostIndex {
 public:
  // Entry `index` (e.g. a position in a ConfigSet vector) names `host`.
  void add(std::string host, size_t index);
  // Indexes of the entries whose host matches `host`, in ascending order.
  std::vector<size_t> matches(const std::string& host) const;

 private:
  std::unordered_multimap<std::string, size_t> exact_;
  std::vector<std::pair<std::string, size_t>> wildcards_;
  std::vector<std::pair<std::string, size_t>> all_;  // for wildcard queries
};

}  // namespace mesh::model
