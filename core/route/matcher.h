// The pure request -> route matcher. The data plane calls it for every request,
// `mesh routes --explain` calls the explaining variant; both share one
// implementation so they can never disagree. Nothing here allocates on the
// matching path (scratch buffers are reused per thread).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/proxyconfig/proxy_config.h"

namespace mesh::route {

// One request header; the name is lower-case, the value as received.
struct HeaderField {
  std::string_view name;
  std::string_view value;
};

// A request as the matcher sees it. Non-owning: every view must outlive it.
struct RequestView {
  std::string_view method;     // "GET"
  std::string_view scheme;     // "http" or "https"
  std::string_view authority;  // Host / :authority, possibly with ":port"
  std::string_view path;       // with the query, e.g. "/reviews/0?x=1"
  uint32_t port = 0;           // the port the request arrived on
  std::span<const HeaderField> headers;

  std::string_view path_without_query() const;
  std::string_view query() const;  // after '?', without it; "" when none

  // First value of a header. Pseudo-headers (":method", ":path", ":scheme",
  // ":authority") and "host" read the request's own fields, as in Envoy.
  std::optional<std::string_view> header(std::string_view lower_name) const;
  // Every value of a header joined with "," (what Envoy matches against).
  // `scratch` backs the result only when the header appears more than once.
  std::optional<std::string_view> header_joined(std::string_view lower_name, std::string& scratch) const;
  // Raw (still percent-encoded) value of the first query parameter `name`;
  // "" for a parameter given without "=".
  std::optional<std::string_view> query_param(std::string_view name) const;
};

// Envoy's virtual host selection: exact domain (case-insensitive, with the
// authority as given and then without its port), longest "*.suffix" wildcard,
// longest "prefix.*" wildcard, then "*". nullptr when nothing claims the host.
const pc::VirtualHost* select_virtual_host(const pc::RouteTable& table, std::string_view authority);

bool matches(const pc::StringMatcher& matcher, std::string_view value);
bool matches(const pc::RouteMatch& match, const RequestView& request);

struct RouteMatchResult {
  const pc::Route* route = nullptr;  // nullptr: no route matched (Envoy's NR)
  size_t route_index = 0;
  size_t match_index = 0;  // which match block matched; 0 when the route has none
  explicit operator bool() const { return route != nullptr; }
};

// First route with a matching block (a route without blocks matches all).
RouteMatchResult match_route(const pc::VirtualHost& vhost, const RequestView& request);

// match_route, and for each route passed over a line saying why, e.g.
//   route 0 (jason): header end-user: exact "jason" did not match "bob"
RouteMatchResult explain_route(const pc::VirtualHost& vhost, const RequestView& request,
                               std::vector<std::string>& reasons);

// Why one match block rejects the request; nullopt when it matches.
std::optional<std::string> why_not(const pc::RouteMatch& match, const RequestView& request);

// Picks a destination by weight with `random` uniform over uint64. Clusters with
// weight 0 are never picked unless every weight is 0 (then the first one).
// Precondition: action.clusters is not empty (an empty one returns a static
// empty cluster rather than crash).
const pc::WeightedCluster& pick_weighted(const pc::ForwardAction& action, uint64_t random);

}  // namespace mesh::route
