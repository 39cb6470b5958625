// Path/authority rewrites, redirect Locations and mirror host names, as Istio
// configures Envoy for HTTPRewrite, HTTPRedirect and HTTPMirrorPolicy. These
// run only on routes that use them, so they may build strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/proxyconfig/proxy_config.h"

namespace mesh::policy {

// path = everything before '?', query = from '?' on (with the '?'), or "".
struct SplitPath {
  std::string_view path;
  std::string_view query;
};
SplitPath split_path(std::string_view path_and_query);

// The upstream :path for `rewrite`. `matched_uri` is the uri condition of the
// match block that selected the route (nullptr when it had none, which Istio
// turns into prefix "/"). Prefix matches swap the matched prefix; exact and
// regex matches replace the whole path; uriRegexRewrite replaces every match
// of its regex (RE2 \1 substitutions). The query is kept. Returns false (and
// leaves `out` alone) when the policy does not change the path.
bool rewrite_path(const pc::RewritePolicy& rewrite, const pc::StringMatcher* matched_uri,
                  std::string_view path_and_query, std::string& out);

// The upstream authority: the rewrite's, or the request's.
inline std::string_view rewrite_authority(const pc::RewritePolicy& rewrite, std::string_view authority) {
  return rewrite.authority.empty() ? authority : std::string_view(rewrite.authority);
}

struct RedirectRequest {
  std::string_view scheme;  // "http" or "https" (x-forwarded-proto or the listener's)
  std::string_view host;    // Host/:authority, port included if the client sent one
  std::string_view path;    // :path with query
  uint32_t port = 0;        // the port the request arrived on (for FROM_REQUEST_PORT)
};

// The Location header for a redirect, Envoy style: scheme://host[:port]/path?query
// with default ports (80 for http, 443 for https) left out.
std::string redirect_location(const pc::RedirectAction& redirect, const RedirectRequest& request);

// The Host of a mirrored request: "-shadow" appended to the host name, before
// any port ("reviews:9080" -> "reviews-shadow:9080").
std::string shadow_host(std::string_view host);

// host "[::1]:8080" -> ("[::1]", 8080); no port -> 0.
struct HostPort {
  std::string_view host;
  uint32_t port = 0;
};
HostPort split_host_port(std::string_view authority);

}  // namespace mesh::policy
