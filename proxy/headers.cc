#include "proxy/headers.h"

#include <charconv>

#include "core/policy/header_ops.h"

namespace mesh::proxy {
namespace {

// Names are lower-case already (the codec folds them in place).
bool hop_by_hop(std::string_view name) {
  switch (name.size()) {
    case 2:
      return name == "te";
    case 6:
      return name == "expect";
    case 7:
      return name == "upgrade" || name == "trailer";
    case 10:
      return name == "connection" || name == "keep-alive";
    case 14:
      return name == "content-length";
    case 16:
      return name == "proxy-connection";
    case 17:
      return name == "transfer-encoding";
    default:
      return false;
  }
}

// Whether `name` is one of the comma-separated tokens in a Connection value.
bool named_by_connection(std::string_view connection, std::string_view name) {
  while (!connection.empty()) {
    size_t comma = connection.find(',');
    std::string_view token = connection.substr(0, comma);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (net::iequals(token, name)) return true;
    if (comma == std::string_view::npos) break;
    connection.remove_prefix(comma + 1);
  }
  return false;
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

// Istio's route and destination header operations, destination first (the route's win).
struct HeaderOpsLevels {
  const pc::HeaderOps* levels[2];
  policy::LayeredHeaderOps ops;
  HeaderOpsLevels(const pc::HeaderOps* route, const pc::HeaderOps* destination)
      : levels{destination, route}, ops(levels) {}
  HeaderOpsLevels(const HeaderOpsLevels&) = delete;
  bool any() const { return (levels[0] && !levels[0]->empty()) || (levels[1] && !levels[1]->empty()); }
};

// The added and set headers; a Host from the ops yields to a rewrite's authority.
void append_ops(std::string& out, const HeaderOpsLevels& ops, bool keep_host, const HeaderVars* vars) {
  ops.ops.for_each_added([&](std::string_view name, std::string_view value) {
    if (!keep_host && name == "host") return;
    if (vars == nullptr || !has_header_vars(value)) {
      append_header(out, name, value);
      return;
    }
    out.append(name).append(": ");
    expand_header_value(value, *vars, out);
    out.append("\r\n");
  });
}

void append_number(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_framing(std::string& out, Framing framing, uint64_t length) {
  if (framing == Framing::kLength) {
    out.append("content-length: ");
    append_number(out, length);
    out.append("\r\n");
  } else if (framing == Framing::kChunked) {
    out.append("transfer-encoding: chunked\r\n");
  }
}

void append_request_id(std::string& out, uint64_t hi, uint64_t lo) {
  // A version 4 UUID: 8-4-4-4-12 hex digits.
  static const char kHex[] = "0123456789abcdef";
  hi = (hi & ~0xf000ull) | 0x4000ull;
  lo = (lo & ~(3ull << 62)) | (2ull << 62);
  char id[36];
  int pos = 0;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) id[pos++] = '-';
    uint64_t word = i < 16 ? hi : lo;
    id[pos++] = kHex[(word >> (60 - 4 * (i % 16))) & 0xf];
  }
  out.append("x-request-id: ").append(id, sizeof id).append("\r\n");
}

}  // namespace

void build_upstream_request(const net::Http1Head& head, const RequestHeadContext& ctx, std::string& out) {
  std::string_view path = ctx.path.empty() ? head.url : ctx.path;
  out.append(head.method_name).append(" ").append(path).append(" HTTP/1.1\r\n");
  HeaderOpsLevels ops(ctx.route_ops, ctx.destination_ops);
  bool with_ops = ops.any();
  std::string_view connection = head.find("connection");
  std::string_view xff;
  bool has_proto = false, has_id = false;
  for (uint32_t i = 0; i < head.count; ++i) {
    std::string_view name = head.name(i);
    if (hop_by_hop(name) || (!connection.empty() && named_by_connection(connection, name))) continue;
    if (with_ops && ops.ops.drops(name)) continue;
    if (!ctx.authority.empty() && name == "host") continue;
    if (name == "x-forwarded-for") {
      xff = head.value(i);
      continue;
    }
    has_proto |= name == "x-forwarded-proto";
    has_id |= name == "x-request-id";
    append_header(out, name, head.value(i));
  }
  out.append("x-forwarded-for: ");
  if (!xff.empty()) out.append(xff).append(", ");
  out.append(ctx.peer_ip).append("\r\n");
  if (!has_proto) append_header(out, "x-forwarded-proto", ctx.scheme);
  if (!has_id) append_request_id(out, ctx.random_hi, ctx.random_lo);
  if (!ctx.authority.empty()) append_header(out, "host", ctx.authority);
  if (!ctx.path.empty()) append_header(out, "x-envoy-original-path", head.url);
  if (with_ops) append_ops(out, ops, ctx.authority.empty(), ctx.vars);
  append_framing(out, ctx.framing, ctx.content_length);
  out.append("\r\n");
}

void build_downstream_response(const net::Http1Head& head, const ResponseHeadContext& ctx, std::string& out) {
  out.append("HTTP/1.1 ");
  append_number(out, static_cast<uint64_t>(head.status));
  out.append(" ").append(reason_phrase(head.status)).append("\r\n");
  std::string_view connection = head.find("connection");
  HeaderOpsLevels ops(ctx.route_ops, ctx.destination_ops);
  bool with_ops = ops.any();
  for (uint32_t i = 0; i < head.count; ++i) {
    std::string_view name = head.name(i);
    if (ctx.keep_content_length && name == "content-length") {
      append_header(out, name, head.value(i));
      continue;
    }
    if (hop_by_hop(name) || (!connection.empty() && named_by_connection(connection, name))) continue;
    if (with_ops && ops.ops.drops(name)) continue;
    append_header(out, name, head.value(i));
  }
  if (ctx.upstream_service_ms >= 0) {
    out.append("x-envoy-upstream-service-time: ");
    append_number(out, static_cast<uint64_t>(ctx.upstream_service_ms));
    out.append("\r\n");
  }
  if (!ctx.set_cookie.empty()) append_header(out, "set-cookie", ctx.set_cookie);
  if (with_ops) append_ops(out, ops, true, ctx.vars);
  out.append(ctx.extra_headers);
  append_framing(out, ctx.framing, ctx.content_length);
  if (ctx.close) {
    out.append("connection: close\r\n");
  } else if (ctx.http10_keep_alive) {
    out.append("connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

void build_local_reply(int status, std::string_view body, bool close, std::string& out,
                       std::string_view extra_headers) {
  out.append("HTTP/1.1 ");
  append_number(out, static_cast<uint64_t>(status));
  out.append(" ").append(reason_phrase(status)).append("\r\ncontent-length: ");
  append_number(out, body.size());
  out.append("\r\n");
  if (!body.empty()) out.append("content-type: text/plain\r\n");
  out.append(extra_headers);
  if (close) out.append("connection: close\r\n");
  out.append("\r\n").append(body);
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

size_t chunk_header(size_t len, char* buf) {
  auto r = std::to_chars(buf, buf + 16, len, 16);
  r.ptr[0] = '\r';
  r.ptr[1] = '\n';
  return static_cast<size_t>(r.ptr + 2 - buf);
}

}  // namespace mesh::proxy
