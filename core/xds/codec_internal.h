// Decoders of ProxyConfig parts, shared by config_codec.cc and codec_routes.cc.
#pragma once

#include "core/proxyconfig/proxy_config.h"
#include "core/xds/json_in.h"

namespace mesh::xds {

void read_route_table(JsonIn& in, const Json& j, pc::RouteTable& out);
void read_header_ops(JsonIn& in, const Json& j, const char* key, pc::HeaderOps& out);
pc::WeightedCluster read_weighted_cluster(JsonIn& in, const Json& j);

}  // namespace mesh::xds
