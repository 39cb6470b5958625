#include "core/policy/cors.h"

#include <algorithm>

namespace mesh::policy {

namespace {

bool equal_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

}  // namespace

bool string_matches(const pc::StringMatcher& m, std::string_view value) {
  using Kind = pc::StringMatcher::Kind;
  switch (m.kind) {
    case Kind::kExact:
      return m.ignore_case ? equal_ignore_case(value, m.value) : value == m.value;
    case Kind::kPrefix:
      return value.size() >= m.value.size() &&
             (m.ignore_case ? equal_ignore_case(value.substr(0, m.value.size()), m.value)
                            : value.starts_with(m.value));
    case Kind::kRegex:
      return m.regex && RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *m.regex);
    case Kind::kPresent:
      return true;
  }
  return false;
}

bool origin_allowed(const pc::CorsPolicy& policy, std::string_view origin) {
  return std::any_of(
      policy.allow_origins.begin(), policy.allow_origins.end(),
      [&](const pc::StringMatcher& m) { return string_matches(m, origin) || string_matches(m, "*"); });
}

CorsDecision decide_cors(const pc::CorsPolicy& policy, const CorsRequest& request) {
  CorsDecision d;
  if (!request.origin || request.origin->empty()) return d;
  const bool preflight =
      request.method == "OPTIONS" && request.request_method && !request.request_method->empty();
  const bool allowed = origin_allowed(policy, *request.origin);
  const bool credentials = policy.allow_credentials.value_or(false);
  if (preflight) {
    if (!allowed) {
      // unmatchedPreflights: FORWARD (default) sends it on; IGNORE answers 200 without CORS headers.
      if (!policy.forward_unmatched_preflights) {
        d.action = CorsDecision::Action::kRespond;
        d.status = 200;
      }
      return d;
    }
    d.action = CorsDecision::Action::kRespond;
    d.status = 200;
    d.add("access-control-allow-origin", *request.origin);
    if (credentials) d.add("access-control-allow-credentials", "true");
    if (!policy.allow_methods.empty()) d.add("access-control-allow-methods", policy.allow_methods);
    if (!policy.allow_headers.empty()) d.add("access-control-allow-headers", policy.allow_headers);
    if (!policy.max_age.empty()) d.add("access-control-max-age", policy.max_age);
    return d;
  }
  if (!allowed) return d;
  d.add("access-control-allow-origin", *request.origin);
  if (credentials) d.add("access-control-allow-credentials", "true");
  if (!policy.expose_headers.empty()) d.add("access-control-expose-headers", policy.expose_headers);
  return d;
}

}  // namespace mesh::policy
