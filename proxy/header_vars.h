// Envoy's %VAR% substitution in the header values of VirtualService headers
// operations. Istio passes the values to Envoy unchanged, so users write e.g.
//   headers: {request: {set: {x-client: "%DOWNSTREAM_REMOTE_ADDRESS%"}}}
// Known: DOWNSTREAM_REMOTE_ADDRESS, DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT,
// DOWNSTREAM_LOCAL_ADDRESS, UPSTREAM_REMOTE_ADDRESS (response headers: the
// endpoint that answered), REQ(name) (request headers), START_TIME (Envoy's
// default format), PROTOCOL, HOSTNAME. "%%" is a literal '%'; an unknown
// variable is kept as written. Addresses are looked up only when a value asks.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/net/http1.h"

namespace mesh::proxy {

struct HeaderVars {
  const uv_tcp_t* downstream = nullptr;        // the client's connection
  const sockaddr_storage* upstream = nullptr;  // the endpoint that answered
  const net::Http1Head* request = nullptr;     // while the request head is parsed
};

// True when `value` needs expand_header_value().
inline bool has_header_vars(std::string_view value) {
  return value.find('%') != std::string_view::npos;
}
void expand_header_value(std::string_view value, const HeaderVars& vars, std::string& out);
// "1.2.3.4:80" or "[::1]:80"; "" for an unknown family.
void append_address(std::string& out, const sockaddr_storage& address, bool with_port = true);

}  // namespace mesh::proxy
