// Explaining one request against one proxy's config: which listener, route
// table, virtual host and route serve it, where it goes, and why earlier routes
// did not match. Used by `mesh routes --explain`; the matching itself is the
// data plane's (core/route/matcher.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/proxyconfig/proxy_config.h"
#include "core/route/matcher.h"

namespace mesh::route {

// A request given as text ("GET http://reviews:9080/reviews/0" plus "Name: value"
// headers). Owns the strings its view() points into; do not copy after view().
struct RequestText {
  std::string method = "GET";
  std::string scheme = "http";
  std::string authority;
  std::string path = "/";
  uint32_t port = 80;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  std::vector<HeaderField> fields;                           // filled by view()

  RequestView view();
};

// Parses "METHOD URL" (or just "URL", meaning GET). URL is absolute
// (http://host[:port]/path?q) or a path, with the host from a "Host" header.
// The port is the URL's or Host's, else 80 for http and 443 for https.
// nullopt with `error` set on bad input.
std::optional<RequestText> parse_request(std::string_view request_line,
                                         const std::vector<std::string>& headers, std::string& error);

struct Destination {
  std::string cluster;
  uint32_t weight = 0;
  std::vector<std::string> endpoints;  // "address:port"
  bool cluster_known = true;           // false: the route names a cluster the config lacks
};

struct Explanation {
  std::string request;  // "GET reviews:9080/reviews/0 (port 9080)"
  std::string listener;
  std::string route_table;
  std::string virtual_host;
  const pc::Route* route = nullptr;  // points into the explained config; nullptr: no route
  size_t route_index = 0;
  size_t match_index = 0;
  std::vector<Destination> destinations;
  std::vector<std::string> reasons;  // why earlier routes (or the lookup) did not match
};

// Chooses the listener and route table by port (sidecar: the table named by the
// port, e.g. "9080"; gateway: "http.<port>"), the virtual host by authority,
// then the route.
Explanation explain(const pc::ProxyConfig& config, RequestText& request);

// "forward", "redirect", "directResponse" or "none".
std::string_view action_kind(const pc::Route* route);
std::string format_duration(model::Duration d);

nlohmann::json to_json(const Explanation& e);
std::string to_text(const Explanation& e);

}  // namespace mesh::route
