#include <doctest/doctest.h>

#include <map>
#include <string>

#include "core/policy/cors.h"

using namespace mesh::policy;
using Action = CorsDecision::Action;
using Kind = mesh::pc::StringMatcher::Kind;

namespace {

mesh::pc::StringMatcher matcher(Kind kind, std::string value) {
  mesh::pc::StringMatcher m;
  m.kind = kind;
  m.value = value;
  if (kind == Kind::kRegex) m.regex = std::make_shared<RE2>(value);
  return m;
}

mesh::pc::CorsPolicy policy() {
  mesh::pc::CorsPolicy p;
  p.allow_origins = {matcher(Kind::kExact, "https://a.example"),
                     matcher(Kind::kRegex, "https://.*\\.b\\.example")};
  p.allow_methods = "GET,POST";
  p.allow_headers = "x-token";
  p.expose_headers = "x-trace";
  p.max_age = "86400";
  p.allow_credentials = true;
  return p;
}

std::map<std::string, std::string> headers_of(const CorsDecision& d) {
  std::map<std::string, std::string> out;
  for (const CorsHeader& h : d.headers()) out[std::string(h.name)] = std::string(h.value);
  return out;
}

}  // namespace

TEST_CASE("an allowed preflight is answered by the proxy") {
  const auto p = policy();
  const auto d = decide_cors(p, {"OPTIONS", "https://a.example", "POST"});
  CHECK(d.action == Action::kRespond);
  CHECK(d.status == 200);
  auto h = headers_of(d);
  CHECK(h["access-control-allow-origin"] == "https://a.example");
  CHECK(h["access-control-allow-credentials"] == "true");
  CHECK(h["access-control-allow-methods"] == "GET,POST");
  CHECK(h["access-control-allow-headers"] == "x-token");
  CHECK(h["access-control-max-age"] == "86400");
  CHECK(h.count("access-control-expose-headers") == 0);
  CHECK(decide_cors(p, {"OPTIONS", "https://x.b.example", "GET"}).action == Action::kRespond);
}

TEST_CASE("an unmatched preflight is forwarded, or answered bare with IGNORE") {
  auto p = policy();
  auto d = decide_cors(p, {"OPTIONS", "https://evil.example", "POST"});
  CHECK(d.action == Action::kForward);
  CHECK(d.headers().empty());
  p.forward_unmatched_preflights = false;
  d = decide_cors(p, {"OPTIONS", "https://evil.example", "POST"});
  CHECK(d.action == Action::kRespond);
  CHECK(d.status == 200);
  CHECK(d.headers().empty());
}

TEST_CASE("actual requests from allowed origins get CORS response headers") {
  const auto p = policy();
  auto d = decide_cors(p, {"GET", "https://a.example", std::nullopt});
  CHECK(d.action == Action::kForward);
  auto h = headers_of(d);
  CHECK(h["access-control-allow-origin"] == "https://a.example");
  CHECK(h["access-control-expose-headers"] == "x-trace");
  CHECK(h["access-control-allow-credentials"] == "true");
  CHECK(h.count("access-control-allow-methods") == 0);
  d = decide_cors(p, {"GET", "https://evil.example", std::nullopt});
  CHECK(d.headers().empty());
  // OPTIONS without Access-Control-Request-Method is not a preflight.
  CHECK(decide_cors(p, {"OPTIONS", "https://a.example", std::nullopt}).action == Action::kForward);
  // No Origin: not a CORS request at all.
  CHECK(decide_cors(p, {"OPTIONS", std::nullopt, "GET"}).headers().empty());
}

TEST_CASE("a wildcard origin allows everyone, echoing the origin; prefix and case options work") {
  mesh::pc::CorsPolicy p;
  p.allow_origins = {matcher(Kind::kExact, "*")};
  const auto d = decide_cors(p, {"GET", "https://anyone.example", std::nullopt});
  CHECK(headers_of(d)["access-control-allow-origin"] == "https://anyone.example");
  CHECK(headers_of(d).count("access-control-allow-credentials") == 0);
  p.allow_origins = {matcher(Kind::kPrefix, "https://app.")};
  CHECK(origin_allowed(p, "https://app.example"));
  CHECK_FALSE(origin_allowed(p, "http://app.example"));
  auto ci = matcher(Kind::kExact, "https://A.example");
  ci.ignore_case = true;
  p.allow_origins = {ci};
  CHECK(origin_allowed(p, "https://a.EXAMPLE"));
}
