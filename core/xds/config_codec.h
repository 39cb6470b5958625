// ProxyConfig on the wire: the JSON of translate::to_json (compact) and its
// inverse. Decoding never throws or aborts: a bad snapshot yields nullptr and an
// error naming the field, which the proxy sends back as a NACK. Regexes are
// recompiled with RE2 and route tables re-indexed, so a decoded config is ready
// for the router.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/proxyconfig/proxy_config.h"
#include "core/xds/json_in.h"

namespace mesh::xds {

std::string encode_config(const pc::ProxyConfig& config);

std::shared_ptr<pc::ProxyConfig> decode_config(std::string_view json, std::string& error);
std::shared_ptr<pc::ProxyConfig> decode_config_node(const Json& node, std::string& error);

// A stable hash of everything in the config except its version: equal hashes
// mean the proxy would behave the same, so the control plane need not push.
uint64_t content_hash(const pc::ProxyConfig& config);

}  // namespace mesh::xds
