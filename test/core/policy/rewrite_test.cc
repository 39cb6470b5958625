#include <doctest/doctest.h>

#include "core/policy/rewrite.h"

using namespace mesh::policy;
using Kind = mesh::pc::StringMatcher::Kind;
using Derive = mesh::model::HTTPRedirect::DerivePort;

namespace {

mesh::pc::StringMatcher matcher(Kind kind, std::string value) {
  mesh::pc::StringMatcher m;
  m.kind = kind;
  m.value = value;
  return m;
}

std::string rewritten(const mesh::pc::RewritePolicy& r, const mesh::pc::StringMatcher* m,
                      std::string_view path) {
  std::string out = "<unchanged>";
  rewrite_path(r, m, path, out);
  return out;
}

}  // namespace

TEST_CASE("uri rewrite: prefix swap, whole-path replacement, query kept") {
  mesh::pc::RewritePolicy r;
  r.uri = "/v2/";
  const auto prefix = matcher(Kind::kPrefix, "/api/");
  CHECK(rewritten(r, &prefix, "/api/users?id=1") == "/v2/users?id=1");
  const auto exact = matcher(Kind::kExact, "/login");
  r.uri = "/auth/signin";
  CHECK(rewritten(r, &exact, "/login?next=/") == "/auth/signin?next=/");
  const auto regex = matcher(Kind::kRegex, "/item/[0-9]+");
  CHECK(rewritten(r, &regex, "/item/42") == "/auth/signin");
  r.uri = "/new";
  CHECK(rewritten(r, nullptr, "/x/y") == "/newx/y");  // no uri match is prefix "/", as in Envoy
  auto ci = matcher(Kind::kPrefix, "/API");
  ci.ignore_case = true;
  CHECK(rewritten(r, &ci, "/api/z") == "/new/z");
  mesh::pc::RewritePolicy authority_only;
  authority_only.authority = "internal.svc";
  CHECK(rewritten(authority_only, &prefix, "/api/x") == "<unchanged>");
  CHECK(rewrite_authority(authority_only, "public.example") == "internal.svc");
  CHECK(rewrite_authority(r, "public.example") == "public.example");
}

TEST_CASE("uriRegexRewrite replaces every match with RE2 substitutions, keeping the query") {
  mesh::pc::RewritePolicy r;
  r.uri_regex = std::make_shared<RE2>("^/service/([^/]+)(/.*)$");
  r.uri_regex_substitution = "\\2/instance/\\1";
  CHECK(rewritten(r, nullptr, "/service/foo/v1/api?x=1") == "/v1/api/instance/foo?x=1");
  r.uri_regex = std::make_shared<RE2>("o");
  r.uri_regex_substitution = "0";
  CHECK(rewritten(r, nullptr, "/foo/boo?o=o") == "/f00/b00?o=o");
}

TEST_CASE("redirect Location table") {
  struct Row {
    mesh::pc::RedirectAction redirect;
    RedirectRequest request;
    std::string location;
  };
  auto make = [](std::string scheme, std::string authority, uint32_t port, Derive derive, std::string path) {
    mesh::pc::RedirectAction a;
    a.scheme = scheme;
    a.authority = authority;
    a.port = port;
    a.derive_port = derive;
    a.path = path;
    return a;
  };
  const RedirectRequest plain{"http", "shop.example", "/cart?item=3", 80};
  const RedirectRequest with_port{"http", "shop.example:8080", "/cart?item=3", 8080};
  const Row rows[] = {
      {make("", "", 0, Derive::kNone, "/basket"), plain, "http://shop.example/basket?item=3"},
      {make("", "", 0, Derive::kNone, "/basket?fresh=1"), plain, "http://shop.example/basket?fresh=1"},
      {make("https", "", 0, Derive::kNone, ""), plain, "https://shop.example/cart?item=3"},
      {make("https", "", 0, Derive::kNone, ""),
       {"http", "shop.example:80", "/", 80},
       "https://shop.example/"},
      {make("", "", 0, Derive::kNone, ""), with_port, "http://shop.example:8080/cart?item=3"},
      {make("", "new.example", 0, Derive::kNone, ""), with_port, "http://new.example/cart?item=3"},
      {make("", "new.example", 9000, Derive::kNone, "/x"), with_port, "http://new.example:9000/x?item=3"},
      {make("https", "", 0, Derive::kFromProtocolDefault, ""), with_port, "https://shop.example/cart?item=3"},
      {make("", "new.example", 0, Derive::kFromRequestPort, ""), with_port,
       "http://new.example:8080/cart?item=3"},
      {make("", "new.example", 0, Derive::kFromRequestPort, ""),
       {"http", "shop.example", "/", 9090},
       "http://new.example:9090/"},
      {make("https", "", 443, Derive::kNone, ""), plain, "https://shop.example/cart?item=3"},
      {make("", "", 0, Derive::kNone, ""), {"http", "[::1]:8080", "/", 8080}, "http://[::1]:8080/"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.location);
    CHECK(redirect_location(row.redirect, row.request) == row.location);
  }
}

TEST_CASE("mirror host names get -shadow before the port") {
  CHECK(shadow_host("reviews") == "reviews-shadow");
  CHECK(shadow_host("reviews.default.svc.cluster.local:9080") ==
        "reviews.default.svc.cluster.local-shadow:9080");
  CHECK(split_host_port("[::1]").port == 0);
  CHECK(split_host_port("host:99999").port == 0);
}
