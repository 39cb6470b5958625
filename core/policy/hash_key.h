// The request hash for consistentHash load balancing (Istio's httpHeaderName,
// httpCookie, useSourceIp, httpQueryParameterName). The data plane looks up the
// request pieces and passes them as views; nothing here allocates unless a
// cookie has to be generated.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
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

// `name` lower-cased into `buffer` (or returned as is when longer than it).
std::string_view lower_header_name(std::string_view name, std::span<char> buffer);

// Fills HashInputs from any request type with a `path` member and
// `header(lower_name) -> std::optional<std::string_view>` (core/route's
// RequestView fits). Header names are lower-cased on the stack.
template <class Request>
HashInputs hash_inputs(const model::ConsistentHashLB& config, const Request& request,
                       std::string_view source_ip, uint32_t source_port = 0) {
  HashInputs in;
  in.path = request.path;
  in.source_ip = source_ip;
  in.source_port = source_port;
  if (config.key == model::ConsistentHashLB::Key::kHeader) {
    char lower[128];
    in.header = request.header(lower_header_name(config.header_name, lower));
  } else if (config.key == model::ConsistentHashLB::Key::kCookie) {
    in.cookie_header = request.header("cookie").value_or(std::string_view{});
  }
  return in;
}

// The value of cookie `name` in a Cookie header (surrounding quotes removed).
std::optional<std::string_view> find_cookie(std::string_view cookie_header, std::string_view name);

// The (still percent-encoded) value of the first query parameter `name` in a path.
std::optional<std::string_view> find_query_param(std::string_view path, std::string_view name);

}  // namespace mesh::policy
