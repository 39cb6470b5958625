// `mesh routes --explain`: which listener, virtual host, VirtualService and route
// serve one request on one proxy, and why earlier routes did not match.
#pragma once

#include <string>
#include <vector>

#include "core/proxyconfig/proxy_config.h"

namespace mesh::cmd {

struct ExplainOptions {
  std::string request;               // "METHOD URL", e.g. "GET http://reviews:9080/reviews/0"
  std::vector<std::string> headers;  // "Name: value"
  std::string output;                // "" (text) or "json"
};

// Prints the explanation to stdout; returns the exit code (0 routed, 1 no route
// or bad request text, with the reason on stderr).
int run_explain(const pc::ProxyConfig& config, const ExplainOptions& opts);

}  // namespace mesh::cmd
