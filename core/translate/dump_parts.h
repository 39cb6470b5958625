// The pieces of the ProxyConfig JSON dump (dump.cc), for encoders that write a
// config in parts (encoded_config.cc).
#pragma once

#include "core/proxyconfig/proxy_config.h"
#include "core/translate/json_writer.h"

namespace mesh::translate::detail {

void write_proxy(JsonWriter& w, const pc::ProxyIdentity& p);  // the "proxy" key and object
void write_listener(JsonWriter& w, const pc::Listener& l);
void write_route_table(JsonWriter& w, const pc::RouteTable& t);
void write_cluster(JsonWriter& w, const pc::Cluster& c);
const char* outbound_policy_name(model::OutboundTrafficPolicy::Mode m);

}  // namespace mesh::translate::detail
