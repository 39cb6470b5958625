// CORS as Envoy's filter applies Istio's corsPolicy: a preflight from an
// allowed origin is answered by the proxy; an actual request from an allowed
// origin is forwarded and its response gets the CORS headers; requests without
// Origin pass untouched. Header names and values are views into the policy and
// the request: nothing is allocated.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/proxyconfig/proxy_config.h"

namespace mesh::policy {

struct CorsRequest {
  std::string_view method;
  std::optional<std::string_view> origin;
  std::optional<std::string_view> request_method;  // Access-Control-Request-Method
};

struct CorsHeader {
  std::string_view name;  // lower-case
  std::string_view value;
};

struct CorsDecision {
  enum class Action {
    kForward,  // forward the request; add headers() to its response
    kRespond,  // answer locally with `status` and headers(), no body
  };
  Action action = Action::kForward;
  uint32_t status = 0;
  std::array<CorsHeader, 6> header_storage{};
  size_t header_count = 0;

  std::span<const CorsHeader> headers() const { return {header_storage.data(), header_count}; }
  void add(std::string_view name, std::string_view value) { header_storage[header_count++] = {name, value}; }
};

CorsDecision decide_cors(const pc::CorsPolicy& policy, const CorsRequest& request);

// Whether `origin` is allowed; a matcher that accepts "*" allows every origin.
bool origin_allowed(const pc::CorsPolicy& policy, std::string_view origin);

// Istio StringMatch semantics for one value (exact, prefix, full-match regex,
// present), honouring ignore_case for exact and prefix.
bool string_matches(const pc::StringMatcher& m, std::string_view value);

}  // namespace mesh::policy
