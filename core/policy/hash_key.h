// The request hash for consistentHash load balancing (Istio's httpHeaderName,
// httpCookie, useSourceIp, httpQueryParameterName). The data plane looks up the
// request pieces and passes them as views; nothing here allocates unless a
// cookie has to be generated.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/model/api_networking.h"

namespace mesh::policy {

struct HashInputs {
  std::optional<std::string_view> header;  // value of ConsistentHashLB::header_name, if present
  std::string_view cookie_header;          // the request's Cookie header(s), "; "-joined
  std::string_view path;                   // :path, query included
  std::string_view source_ip;              // downstream address without port
  uint32_t source_port = 0;
};

struct HashKey {
  std::optional<uint64_t> hash;  // none: the balancer picks at random, as Envoy does
  // Non-empty: the cookie was absent and has a ttl, so the proxy generated one;
  // add this as a Set-Cookie response header.
  std::string set_cookie;
};

HashKey compute_hash_key(const model::ConsistentHashLB& config, const HashInputs& in);

// The value of cookie `name` in a Cookie header (surrounding quotes removed).
std::optional<std::string_view> find_cookie(std::string_view cookie_header, std::string_view name);

// The (still percent-encoded) value of the first query parameter `name` in a path.
std::optional<std::string_view> find_query_param(std::string_view path, std::string_view name);

}  // namespace mesh::policy
