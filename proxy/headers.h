// Serialises the heads the proxy sends: the request to the upstream and the
// response to the client. Hop-by-hop headers (and any named in Connection) are
// dropped; framing headers are written from the proxy's own framing decision.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/net/http1.h"
#include "core/proxyconfig/proxy_config.h"
#include "proxy/header_vars.h"

namespace mesh::proxy {

enum class Framing { kNone, kLength, kChunked, kUntilClose };

struct RequestHeadContext {
  std::string_view peer_ip;
  std::string_view scheme = "http";
  Framing framing = Framing::kNone;
  uint64_t content_length = 0;
  const pc::HeaderOps* route_ops = nullptr;
  const pc::HeaderOps* destination_ops = nullptr;
  uint64_t random_hi = 0, random_lo = 0;  // for a generated x-request-id
  std::string_view path;                  // rewritten :path ("" = the request's)
  std::string_view authority;             // rewritten Host ("" = the request's)
  const HeaderVars* vars = nullptr;       // for %VAR% in header ops values
};

struct ResponseHeadContext {
  Framing framing = Framing::kNone;
  bool keep_content_length = false;  // HEAD/204/304: pass the upstream's through
  bool close = false;                // tell the client we close after this response
  bool http10_keep_alive = false;    // an HTTP/1.0 client that asked for keep-alive
  uint64_t content_length = 0;
  int64_t upstream_service_ms = -1;  // -1: not from an upstream
  std::string_view set_cookie;       // a generated consistent-hash cookie ("" : none)
  const pc::HeaderOps* route_ops = nullptr;
  const pc::HeaderOps* destination_ops = nullptr;
  std::string_view extra_headers;    // "name: value\r\n" lines (CORS)
  const HeaderVars* vars = nullptr;  // for %VAR% in header ops values
};

void build_upstream_request(const net::Http1Head& head, const RequestHeadContext& ctx, std::string& out);
void build_downstream_response(const net::Http1Head& head, const ResponseHeadContext& ctx, std::string& out);
// A response the proxy makes itself ("local reply"), with a text body and any
// extra "name: value\r\n" lines (CORS, Location).
void build_local_reply(int status, std::string_view body, bool close, std::string& out,
                       std::string_view extra_headers = {});
std::string_view reason_phrase(int status);
// "5\r\n" for a chunk of 5 bytes; returns the length written into buf (>= 19 bytes).
size_t chunk_header(size_t len, char* buf);

}  // namespace mesh::proxy
