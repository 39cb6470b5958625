#include "proxy/router.h"

#include <vector>

#include "core/route/matcher.h"

namespace mesh::proxy {

RouteDecision route_request(const pc::RouteTable& table, const net::Http1Head& head, uint32_t port,
                            uint64_t random) {
  // Header names arrive lower-cased from the codec, as the matcher expects.
  thread_local std::vector<route::HeaderField> headers;
  headers.clear();
  std::string_view authority;
  for (uint32_t i = 0; i < head.count; ++i) {
    headers.push_back({head.name(i), head.value(i)});
    if (authority.empty() && head.name(i) == "host") authority = head.value(i);
  }
  RouteDecision out;
  const pc::VirtualHost* vhost = route::select_virtual_host(table, authority);
  if (vhost == nullptr) return out;
  route::RequestView request;
  request.method = head.method_name;
  request.scheme = "http";
  request.authority = authority;
  request.path = head.url;
  request.port = port;
  request.headers = headers;
  route::RouteMatchResult match = route::match_route(*vhost, request);
  out.route = match.route;
  out.match_index = match.match_index;
  if (out.route == nullptr) return out;
  if (const auto* fwd = std::get_if<pc::ForwardAction>(&out.route->action)) {
    if (!fwd->clusters.empty()) out.destination = &route::pick_weighted(*fwd, random);
  }
  return out;
}

}  // namespace mesh::proxy
