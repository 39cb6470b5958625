#include "core/route/matcher.h"

#include <time.h>

#include <cstdio>
#include <map>
#include <random>

#include <doctest/doctest.h>

#include "test/core/route/route_test_util.h"

using namespace mesh;
using namespace mesh::route;
using namespace mesh::route::testing;

TEST_CASE("request view: path, query, headers") {
  Req req("/reviews/0?user=jason&flag&enc=a%20b", {{"end-user", "jason"}, {"x-v", "1"}, {"x-v", "2"}});
  const RequestView& r = req.view;
  CHECK(r.path_without_query() == "/reviews/0");
  CHECK(r.query() == "user=jason&flag&enc=a%20b");
  CHECK(r.query_param("user") == "jason");
  CHECK(r.query_param("flag") == "");
  CHECK(r.query_param("enc") == "a%20b");
  CHECK_FALSE(r.query_param("use").has_value());
  CHECK(r.header("end-user") == "jason");
  CHECK(r.header("x-v") == "1");
  CHECK_FALSE(r.header("missing").has_value());
  CHECK(r.header(":authority") == "reviews:9080");
  CHECK(r.header("host") == "reviews:9080");
  CHECK(r.header(":method") == "GET");
  std::string scratch;
  CHECK(r.header_joined("x-v", scratch) == "1,2");
  CHECK(r.header_joined("end-user", scratch) == "jason");
  Req bare("/plain");
  CHECK(bare.view.query().empty());
  CHECK_FALSE(bare.view.query_param("x").has_value());
}

TEST_CASE("string matchers: exact, prefix, regex full match, present, ignore case") {
  CHECK(matches(exact("/a"), "/a"));
  CHECK_FALSE(matches(exact("/a"), "/a/"));
  CHECK_FALSE(matches(exact("/a"), "/A"));
  CHECK(matches(exact("/a", true), "/A"));
  CHECK(matches(prefix("/api"), "/api/v1"));
  CHECK_FALSE(matches(prefix("/api"), "/ap"));
  CHECK(matches(prefix("/API", true), "/api/x"));
  CHECK(matches(regex("/v[0-9]+/.*"), "/v12/x"));
  CHECK_FALSE(matches(regex("v[0-9]"), "/v1"));  // full match, not search
  CHECK(matches(present(), ""));
  pc::StringMatcher uncompiled{pc::StringMatcher::Kind::kRegex, ".*", nullptr, false};
  CHECK_FALSE(matches(uncompiled, "x"));
}

TEST_CASE("uri matches the path without the query") {
  pc::RouteMatch m;
  m.uri = exact("/productpage");
  Req with_query("/productpage?u=normal");
  CHECK(matches(m, with_query.view));
  m.uri = prefix("/static", true);
  Req upper("/STATIC/app.js");
  CHECK(matches(m, upper.view));
  m.uri = regex("/api/v1/products/[0-9]+");
  Req api("/api/v1/products/42?x=1");
  CHECK(matches(m, api.view));
  Req api_bad("/api/v1/products/x");
  CHECK(why_not(m, api_bad.view) ==
        "uri regex \"/api/v1/products/[0-9]+\" did not match \"/api/v1/products/x\"");
}

TEST_CASE("method, scheme, authority and port") {
  Req req("/x");
  pc::RouteMatch m;
  m.method = exact("POST");
  CHECK(why_not(m, req.view) == "method exact \"POST\" did not match \"GET\"");
  m.method = exact("GET");
  CHECK(matches(m, req.view));
  m.scheme = exact("https");
  CHECK_FALSE(matches(m, req.view));
  m.scheme = exact("http");
  m.authority = prefix("reviews");
  CHECK(matches(m, req.view));
  m.authority = exact("ratings:9080");
  CHECK(why_not(m, req.view) == "authority exact \"ratings:9080\" did not match \"reviews:9080\"");
  m.authority.reset();
  m.port = 8080;
  CHECK(why_not(m, req.view) == "port 8080 did not match 9080");
  m.port = 9080;
  CHECK(matches(m, req.view));
}

TEST_CASE("headers: exact, prefix, regex, present, joined values, absent") {
  pc::RouteMatch m;
  m.headers.push_back({"end-user", exact("jason"), false});
  Req jason("/", {{"end-user", "jason"}});
  Req bob("/", {{"end-user", "bob"}});
  Req nobody("/");
  CHECK(matches(m, jason.view));
  CHECK(why_not(m, bob.view) == "header end-user: exact \"jason\" did not match \"bob\"");
  CHECK(why_not(m, nobody.view) == "header end-user: exact \"jason\" but the header is absent");
  m.headers[0].match = prefix("ja");
  CHECK(matches(m, jason.view));
  m.headers[0].match = regex("j.*n");
  CHECK(matches(m, jason.view));
  CHECK_FALSE(matches(m, bob.view));
  m.headers[0].match = present();
  CHECK(matches(m, bob.view));
  CHECK_FALSE(matches(m, nobody.view));
  // Repeated headers are matched joined with ",", as Envoy does.
  pc::RouteMatch joined;
  joined.headers.push_back({"x-tag", exact("a,b"), false});
  Req two("/", {{"x-tag", "a"}, {"x-tag", "b"}});
  CHECK(matches(joined, two.view));
  // Every header matcher must match.
  m.headers = {{"end-user", exact("jason"), false}, {"x-env", exact("prod"), false}};
  Req both("/", {{"x-env", "prod"}, {"end-user", "jason"}});
  CHECK(matches(m, both.view));
  CHECK_FALSE(matches(m, jason.view));
}

TEST_CASE("withoutHeaders inverts, and an absent header satisfies it") {
  pc::RouteMatch m;
  m.headers.push_back({"end-user", exact("jason"), true});
  Req jason("/", {{"end-user", "jason"}});
  Req bob("/", {{"end-user", "bob"}});
  Req nobody("/");
  CHECK_FALSE(matches(m, jason.view));
  CHECK(why_not(m, jason.view) == "header end-user: withoutHeaders exact \"jason\" matched \"jason\"");
  CHECK(matches(m, bob.view));
  CHECK(matches(m, nobody.view));
  m.headers[0].match = present();  // withoutHeaders {x: {}}: the header must be absent
  CHECK(matches(m, nobody.view));
  CHECK_FALSE(matches(m, bob.view));
}

TEST_CASE("query parameters: exact and regex on decoded values") {
  pc::RouteMatch m;
  m.query_params.push_back({"version", exact("v2")});
  Req v2("/p?a=1&version=v2");
  Req v1("/p?version=v1");
  Req none("/p");
  CHECK(matches(m, v2.view));
  CHECK(why_not(m, v1.view) == "query parameter version: exact \"v2\" did not match \"v1\"");
  CHECK(why_not(m, none.view) == "query parameter version: exact \"v2\" but the parameter is absent");
  m.query_params[0] = {"name", regex("a b.*")};
  Req encoded("/p?name=a%20bc");
  CHECK(matches(m, encoded.view));
  Req bad_escape("/p?name=a b%zz");
  CHECK(matches(m, bad_escape.view));  // malformed escapes stay as written
  m.query_params[0] = {"flag", present()};
  Req flag("/p?flag");
  CHECK(matches(m, flag.view));
  CHECK_FALSE(matches(m, none.view));
}

TEST_CASE("match_route: first route with any matching block wins") {
  pc::VirtualHost vh;
  pc::RouteMatch jason;
  jason.headers.push_back({"end-user", exact("jason"), false});
  pc::RouteMatch v2_uri;
  v2_uri.uri = prefix("/v2");
  vh.routes.push_back(forward_route("jason", {jason, v2_uri}, "v2"));
  vh.routes.push_back(forward_route("", {}, "v1"));
  Req as_jason("/reviews", {{"end-user", "jason"}});
  Req by_uri("/v2/reviews");
  Req other("/reviews", {{"end-user", "bob"}});
  RouteMatchResult r = match_route(vh, as_jason.view);
  CHECK((r && r.route_index == 0 && r.match_index == 0));
  r = match_route(vh, by_uri.view);
  CHECK((r && r.route_index == 0 && r.match_index == 1));
  r = match_route(vh, other.view);
  CHECK((r && r.route_index == 1));
  std::vector<std::string> reasons;
  r = explain_route(vh, other.view, reasons);
  CHECK(r.route_index == 1);
  REQUIRE(reasons.size() == 1);
  CHECK(reasons[0] ==
        "route 0 (jason): match 0: header end-user: exact \"jason\" did not match \"bob\"; "
        "match 1: uri prefix \"/v2\" did not match \"/reviews\"");
  vh.routes.pop_back();
  reasons.clear();
  CHECK_FALSE(explain_route(vh, other.view, reasons));
  CHECK_FALSE(match_route(vh, other.view));
  CHECK(reasons.size() == 1);
}

namespace {

pc::RouteTable table_of(std::vector<std::vector<std::string>> domain_sets) {
  pc::RouteTable t;
  for (size_t i = 0; i < domain_sets.size(); ++i) {
    pc::VirtualHost vh;
    vh.name = "vh" + std::to_string(i);
    vh.domains = domain_sets[i];
    t.virtual_hosts.push_back(vh);
  }
  t.index();
  return t;
}

std::string pick(const pc::RouteTable& t, std::string_view authority) {
  const pc::VirtualHost* vh = select_virtual_host(t, authority);
  return vh ? vh->name : "none";
}

}  // namespace

TEST_CASE("virtual host selection follows Envoy's order") {
  pc::RouteTable t = table_of({
      {"reviews", "reviews:9080", "reviews.default.svc.cluster.local"},
      {"*.example.com"},
      {"*.api.example.com"},
      {"foo.*"},
      {"*"},
      {"Ratings.Default"},
  });
  CHECK(pick(t, "reviews") == "vh0");
  CHECK(pick(t, "reviews:9080") == "vh0");
  CHECK(pick(t, "REVIEWS.default.svc.cluster.local:9080") == "vh0");  // case-insensitive, port stripped
  CHECK(pick(t, "ratings.default") == "vh5");
  CHECK(pick(t, "a.example.com") == "vh1");
  CHECK(pick(t, "a.api.example.com") == "vh2");  // longest suffix wins
  CHECK(pick(t, "a.api.example.com:443") == "vh2");
  CHECK(pick(t, "example.com") == "vh4");  // '*' stands for at least one character
  CHECK(pick(t, "foo.bar") == "vh3");
  CHECK(pick(t, "x.foo.bar") == "vh4");
  CHECK(pick(t, "a.example.com.foo") == "vh4");
  CHECK(pick(t, "[::1]:80") == "vh4");
  pc::RouteTable no_default = table_of({{"reviews"}});
  CHECK(pick(no_default, "ratings") == "none");
  // A suffix wildcard beats a prefix wildcard.
  pc::RouteTable both = table_of({{"foo.*"}, {"*.com"}});
  CHECK(pick(both, "foo.com") == "vh1");
}

TEST_CASE("virtual host selection works on a table nobody indexed") {
  pc::RouteTable t = table_of({{"reviews"}, {"*"}});
  pc::RouteTable raw;
  raw.virtual_hosts = t.virtual_hosts;
  CHECK(pick(raw, "reviews:9080") == "vh0");
  CHECK(pick(raw, "other") == "vh1");
  pc::RouteTable no_domains;
  no_domains.virtual_hosts.resize(1);
  CHECK(pick(no_domains, "x") == "none");
  CHECK(pick(pc::RouteTable{}, "x") == "none");
}

TEST_CASE("pick_weighted follows the weights") {
  pc::ForwardAction f;
  f.clusters = {{"v1", "", 0, "", 90, {}, {}}, {"v2", "", 0, "", 10, {}, {}}, {"v3", "", 0, "", 0, {}, {}}};
  CHECK(pick_weighted(f, 0).cluster == "v1");
  CHECK(pick_weighted(f, 89).cluster == "v1");
  CHECK(pick_weighted(f, 90).cluster == "v2");
  CHECK(pick_weighted(f, 99).cluster == "v2");
  CHECK(pick_weighted(f, 100).cluster == "v1");
  std::mt19937_64 rng(42);
  std::map<std::string, int> counts;
  for (int i = 0; i < 100000; ++i) counts[pick_weighted(f, rng()).cluster]++;
  CHECK(counts["v1"] > 89000);
  CHECK(counts["v1"] < 91000);
  CHECK(counts["v2"] > 9000);
  CHECK(counts["v2"] < 11000);
  CHECK(counts["v3"] == 0);
  pc::ForwardAction zero;
  zero.clusters = {{"a", "", 0, "", 0, {}, {}}, {"b", "", 0, "", 0, {}, {}}};
  CHECK(pick_weighted(zero, 7).cluster == "a");
  CHECK(pick_weighted(pc::ForwardAction{}, 7).cluster.empty());
}

namespace {
double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}
}  // namespace

// Not a pass/fail test: prints the cost of matching the last of 50 routes.
TEST_CASE("micro benchmark: 50-route table") {
  pc::VirtualHost vh;
  for (int i = 0; i < 49; ++i) {
    pc::RouteMatch m;
    m.uri = prefix("/svc" + std::to_string(i) + "/");
    m.headers.push_back({"end-user", exact("user" + std::to_string(i)), false});
    vh.routes.push_back(forward_route("r" + std::to_string(i), {m}, "c"));
  }
  vh.routes.push_back(forward_route("default", {}, "c"));
  Req req("/svc7/reviews/0?x=1", {{"accept", "*/*"}, {"end-user", "jason"}, {"user-agent", "curl"}});
  constexpr int kRounds = 200000;
  size_t sink = 0;
  const double start = thread_cpu_ns();  // CPU time: the build machine is often busy
  for (int i = 0; i < kRounds; ++i) sink += match_route(vh, req.view).route_index;
  const double ns = thread_cpu_ns() - start;
  CHECK(sink == size_t{49} * kRounds);
  std::printf("match_route, 50 routes, falls through to the last: %.0f ns/request\n", ns / kRounds);
}
