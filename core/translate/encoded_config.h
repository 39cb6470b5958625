// Encodes a ProxyConfig in the parts EncodedConfig describes: the scope's part
// once per scope, the proxy's own parts per proxy. The text equals the compact
// dump (dump.cc) because both are written by the same functions.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/proxyconfig/proxy_config.h"
#include "core/translate/translate.h"

namespace mesh::translate::detail {

struct SharedPart {
  std::shared_ptr<const std::string> text;  // `[route tables],"clusters":[` + the scope's clusters
  uint64_t hash = 0;
};

SharedPart encode_shared_part(const pc::SharedList<pc::RouteTable>& route_tables,
                              const std::vector<pc::Cluster>& scope_clusters);

EncodedConfig encode_config(const pc::ProxyIdentity& proxy, model::OutboundTrafficPolicy::Mode outbound_policy,
                            const std::vector<pc::Listener>& listeners, const SharedPart& shared,
                            const std::vector<pc::Cluster>& own_clusters);

}  // namespace mesh::translate::detail
