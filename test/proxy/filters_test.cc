// Route filters end to end: fault injection, CORS, redirects, rewrites and
// header operations, checked on what the client got and what the upstream saw.
#include <doctest/doctest.h>

#include <chrono>

#include "test/proxy/proxy_fixture.h"

using namespace mesh;
using namespace mesh::test;
using Clock = std::chrono::steady_clock;

namespace {

// default_config plus `routes`, tried before its catch-all "/" route.
std::shared_ptr<pc::ProxyConfig> with_routes(uint16_t upstream_port, std::vector<pc::Route> routes) {
  auto cfg = default_config(upstream_port);
  auto& vh = cfg->route_tables.mutable_at(0).virtual_hosts[0];
  vh.routes.insert(vh.routes.begin(), routes.begin(), routes.end());
  cfg->route_tables.mutable_at(0).index();
  return cfg;
}

pc::Route fault_route(std::string path, uint64_t delay_ms, double delay_pct, uint32_t abort,
                      double abort_pct) {
  pc::Route r = forward_route(path, "up", uri_prefix(path));
  pc::FaultPolicy fault;
  if (delay_ms > 0) fault.delay = std::chrono::milliseconds(delay_ms);
  fault.delay_percent = delay_pct;
  fault.abort_status = abort;
  fault.abort_percent = abort_pct;
  r.fault = fault;
  return r;
}

long elapsed_ms(Clock::time_point since) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count());
}

struct Upstream1 {
  TestUpstream upstream;
};

}  // namespace

TEST_CASE("fault abort answers locally with flag FI; 0% never aborts") {
  Upstream1 u;
  ProxyFixture f({}, with_routes(u.upstream.port(), {fault_route("/abort", 0, 0, 418, 100),
                                                     fault_route("/never", 0, 0, 500, 0)}));
  Response r = request(f.port(), get("/abort/x"));
  CHECK(r.status == 418);
  CHECK(r.body == "fault filter abort");
  CHECK(f.proxy().counter("flag_FI") == 1);
  for (int i = 0; i < 20; ++i) CHECK(request(f.port(), get("/never")).status == 200);
  CHECK(u.upstream.seen().size() == 20);
}

TEST_CASE("fault delay holds the request on a timer without blocking the worker; body kept") {
  Upstream1 u;
  proxy::ProxyOptions opts;
  opts.concurrency = 1;  // one loop: a blocking delay would stall the other client
  ProxyFixture f(opts, with_routes(u.upstream.port(), {fault_route("/echo", 1500, 100, 0, 0)}));
  Client slow(f.port());
  auto start = Clock::now();
  slow.send("POST /echo HTTP/1.1\r\nHost: known.example\r\nContent-Length: 5\r\n\r\nhello");
  Response quick = request(f.port(), get("/quick"), 1000);
  CHECK(quick.status == 200);
  CHECK(elapsed_ms(start) < 1500);
  Response r = slow.read();
  CHECK(elapsed_ms(start) >= 1500);
  CHECK(r.status == 200);
  CHECK(r.body == "hello");
  CHECK(f.proxy().counter("flag_DI") == 1);
  // Chunked bodies that arrive during the delay go out too.
  slow.send(
      "POST /echo HTTP/1.1\r\nHost: known.example\r\nTransfer-Encoding: "
      "chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  CHECK(slow.read().body == "abc");
}

TEST_CASE("fault delay then abort, as Envoy: both flags") {
  Upstream1 u;
  ProxyFixture f({}, with_routes(u.upstream.port(), {fault_route("/both", 200, 100, 503, 100)}));
  auto start = Clock::now();
  Response r = request(f.port(), get("/both"));
  CHECK(elapsed_ms(start) >= 200);
  CHECK(r.status == 503);
  CHECK(r.body == "fault filter abort");
  CHECK(f.proxy().counter("flag_DI") == 1);
  CHECK(f.proxy().counter("flag_FI") == 1);
  CHECK(u.upstream.seen().empty());
}

namespace {

pc::Route cors_route(std::string path, bool forward_unmatched) {
  pc::Route r = forward_route(path, "up", uri_prefix(path));
  pc::CorsPolicy cors;
  cors.allow_origins.push_back(exact("https://exact.example"));
  cors.allow_origins.push_back(prefix("https://pre"));
  pc::StringMatcher re;
  re.kind = pc::StringMatcher::Kind::kRegex;
  re.value = "https://.*\\.re\\.example";
  re.regex = std::make_shared<RE2>(re.value);
  cors.allow_origins.push_back(re);
  cors.allow_methods = "GET,POST";
  cors.allow_headers = "x-a,x-b";
  cors.expose_headers = "x-exposed";
  cors.max_age = "600";
  cors.allow_credentials = true;
  cors.forward_unmatched_preflights = forward_unmatched;
  r.cors = cors;
  return r;
}

std::string preflight(const std::string& path, const std::string& origin) {
  return "OPTIONS " + path + " HTTP/1.1\r\nHost: known.example\r\nOrigin: " + origin +
         "\r\nAccess-Control-Request-Method: POST\r\n\r\n";
}

}  // namespace

TEST_CASE("CORS preflight answered by the proxy for exact, prefix and regex origins") {
  Upstream1 u;
  ProxyFixture f({},
                 with_routes(u.upstream.port(), {cors_route("/cors", true), cors_route("/ignore", false)}));
  for (std::string origin : {"https://exact.example", "https://prefixed.example", "https://a.re.example"}) {
    Response r = request(f.port(), preflight("/cors", origin));
    CHECK(r.status == 200);
    CHECK(r.headers["access-control-allow-origin"] == origin);
    CHECK(r.headers["access-control-allow-methods"] == "GET,POST");
    CHECK(r.headers["access-control-allow-headers"] == "x-a,x-b");
    CHECK(r.headers["access-control-max-age"] == "600");
    CHECK(r.headers["access-control-allow-credentials"] == "true");
  }
  CHECK(u.upstream.seen().empty());
  // unmatchedPreflights: FORWARD (the default) sends it on; IGNORE answers without CORS headers.
  Response fwd = request(f.port(), preflight("/cors", "https://evil.example"));
  CHECK(fwd.headers.count("access-control-allow-origin") == 0);
  REQUIRE(u.upstream.seen().size() == 1);
  CHECK(u.upstream.seen()[0].method == "OPTIONS");
  Response ignored = request(f.port(), preflight("/ignore", "https://evil.example"));
  CHECK(ignored.status == 200);
  CHECK(ignored.headers.count("access-control-allow-origin") == 0);
  CHECK(u.upstream.seen().size() == 1);
}

TEST_CASE("CORS headers on actual responses for allowed origins only") {
  Upstream1 u;
  ProxyFixture f({}, with_routes(u.upstream.port(), {cors_route("/cors", true)}));
  Response ok = request(f.port(), get("/cors", "Origin: https://exact.example\r\n"));
  CHECK(ok.status == 200);
  CHECK(ok.body == "/cors");
  CHECK(ok.headers["access-control-allow-origin"] == "https://exact.example");
  CHECK(ok.headers["access-control-expose-headers"] == "x-exposed");
  CHECK(ok.headers["access-control-allow-credentials"] == "true");
  Response other = request(f.port(), get("/cors", "Origin: https://evil.example\r\n"));
  CHECK(other.status == 200);
  CHECK(other.headers.count("access-control-allow-origin") == 0);
  Response none = request(f.port(), get("/cors"));
  CHECK(none.headers.count("access-control-allow-origin") == 0);
  CHECK(u.upstream.seen().size() == 3);
}

namespace {

pc::Route redirect_route(std::string path, pc::RedirectAction redirect) {
  pc::Route r;
  r.name = path;
  r.matches.push_back(uri_prefix(path));
  r.action = redirect;
  return r;
}

}  // namespace

TEST_CASE("redirects: uri, authority, port, derivePort, scheme, redirectCode") {
  using Derive = model::HTTPRedirect::DerivePort;
  Upstream1 u;
  pc::RedirectAction full{"https", "new.example", 8443, Derive::kNone, "/moved", 302};
  pc::RedirectAction keep{"", "", 0, Derive::kNone, "/kept", 301};
  pc::RedirectAction proto{"https", "", 0, Derive::kFromProtocolDefault, "", 308};
  pc::RedirectAction req_port{"", "other.example", 0, Derive::kFromRequestPort, "", 307};
  ProxyFixture f({}, with_routes(u.upstream.port(),
                                 {redirect_route("/full", full), redirect_route("/keep", keep),
                                  redirect_route("/proto", proto), redirect_route("/reqport", req_port)}));
  Response r = request(f.port(), get("/full?a=1"));
  CHECK(r.status == 302);
  CHECK(r.headers["location"] == "https://new.example:8443/moved?a=1");
  CHECK(r.body.empty());
  r = request(f.port(), get("/keep"));
  CHECK(r.status == 301);
  CHECK(r.headers["location"] == "http://known.example/kept");
  r = request(f.port(), "GET /proto/p HTTP/1.1\r\nHost: known.example:8080\r\n\r\n");
  CHECK(r.status == 308);
  CHECK(r.headers["location"] == "https://known.example/proto/p");
  r = request(f.port(), get("/reqport"));
  CHECK(r.status == 307);
  CHECK(r.headers["location"] == "http://other.example:" + std::to_string(f.port()) + "/reqport");
  CHECK(u.upstream.seen().empty());
}

TEST_CASE("rewrites: uri prefix, authority, uriRegexRewrite; the upstream sees the new ones") {
  Upstream1 u;
  pc::Route prefix_rw = forward_route("old", "up", uri_prefix("/old"));
  pc::RewritePolicy rw;
  rw.uri = "/new";
  rw.authority = "rewritten.example";
  std::get<pc::ForwardAction>(prefix_rw.action).rewrite = rw;
  pc::Route regex_rw = forward_route("re", "up", uri_prefix("/re/"));
  pc::RewritePolicy rrw;
  rrw.uri_regex = std::make_shared<RE2>("^/re/([a-z]+)/(\\d+)$");
  rrw.uri_regex_substitution = "/\\2/\\1";
  std::get<pc::ForwardAction>(regex_rw.action).rewrite = rrw;
  ProxyFixture f({}, with_routes(u.upstream.port(), {prefix_rw, regex_rw}));
  CHECK(request(f.port(), get("/old/x?q=1")).status == 200);
  CHECK(request(f.port(), get("/re/abc/42?k=v")).status == 200);
  auto seen = u.upstream.seen();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].path == "/new/x?q=1");
  CHECK(seen[0].headers["host"] == "rewritten.example");
  CHECK(seen[0].headers["x-envoy-original-path"] == "/old/x?q=1");
  CHECK(seen[1].path == "/42/abc?k=v");
  CHECK(seen[1].headers["host"] == "known.example");
}

TEST_CASE("header operations at route and destination level, request and response") {
  Upstream1 u;
  pc::Route r = forward_route("hdr", "up", uri_prefix("/hdr"));
  r.request_headers.set = {{"x-route-set", "r"}, {"x-both", "route"}};
  r.request_headers.add = {{"x-added", "1"}};
  r.request_headers.remove = {"x-drop"};
  r.response_headers.set = {{"x-resp", "route"}};
  r.response_headers.remove = {"x-upstream"};
  auto& dest = std::get<pc::ForwardAction>(r.action).clusters[0];
  dest.request_headers.set = {{"x-dest-set", "d"}, {"x-both", "destination"}};
  dest.response_headers.add = {{"x-dest-resp", "d"}};
  ProxyFixture f({}, with_routes(u.upstream.port(), {r}));
  Response resp = request(f.port(), get("/hdr", "X-Drop: 1\r\nX-Added: 0\r\nX-Route-Set: old\r\n"));
  CHECK(resp.status == 200);
  CHECK(resp.headers["x-resp"] == "route");
  CHECK(resp.headers["x-dest-resp"] == "d");
  CHECK(resp.headers.count("x-upstream") == 0);
  auto seen = u.upstream.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].headers.count("x-drop") == 0);
  CHECK(seen[0].headers["x-route-set"] == "r");
  CHECK(seen[0].headers["x-added"] == "0,1");
  CHECK(seen[0].headers["x-dest-set"] == "d");
  CHECK(seen[0].headers["x-both"] == "route");  // the route's level is applied last and wins
}

TEST_CASE("header values with Envoy's %VAR% substitution") {
  Upstream1 u;
  pc::Route r = forward_route("vars", "up", uri_prefix("/vars"));
  r.request_headers.set = {{"x-client", "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%"},
                           {"x-client-port", "%DOWNSTREAM_REMOTE_ADDRESS%"},
                           {"x-agent", "ua=%REQ(User-Agent)%; 100%%"},
                           {"x-unknown", "%NOT_A_VAR% %START_TIME%"}};
  r.response_headers.set = {{"x-served-by", "%UPSTREAM_REMOTE_ADDRESS%"}, {"x-proto", "%PROTOCOL%"}};
  ProxyFixture f({}, with_routes(u.upstream.port(), {r}));
  Response resp = request(f.port(), get("/vars", "User-Agent: t/2\r\n"));
  CHECK(resp.status == 200);
  CHECK(resp.headers["x-served-by"] == "127.0.0.1:" + std::to_string(u.upstream.port()));
  CHECK(resp.headers["x-proto"] == "HTTP/1.1");
  auto seen = u.upstream.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].headers["x-client"] == "127.0.0.1");
  CHECK(seen[0].headers["x-client-port"].rfind("127.0.0.1:", 0) == 0);
  CHECK(seen[0].headers["x-client-port"].size() > 10);
  CHECK(seen[0].headers["x-agent"] == "ua=t/2; 100%");
  const std::string unknown = seen[0].headers["x-unknown"];
  CHECK(unknown.rfind("%NOT_A_VAR% 20", 0) == 0);  // kept as written; then the year of START_TIME
  CHECK(unknown.back() == 'Z');
}
