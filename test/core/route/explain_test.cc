#include "core/route/explain.h"

#include <doctest/doctest.h>

#include "test/core/route/route_test_util.h"

using namespace mesh;
using namespace mesh::route;
using namespace mesh::route::testing;
using namespace std::chrono_literals;

namespace {

RequestText parse_ok(std::string_view line, std::vector<std::string> headers = {}) {
  std::string error;
  std::optional<RequestText> req = parse_request(line, headers, error);
  INFO(error);
  REQUIRE(req.has_value());
  return *req;
}

std::string parse_error(std::string_view line, std::vector<std::string> headers = {}) {
  std::string error;
  CHECK_FALSE(parse_request(line, headers, error).has_value());
  return error;
}

pc::Cluster cluster(std::string name, std::vector<std::string> addresses) {
  pc::Cluster c;
  c.name = std::move(name);
  for (std::string& a : addresses) c.endpoints.push_back({std::move(a), 9080, {}, "", "", 1, true});
  return c;
}

// A sidecar's view of Bookinfo's reviews with "reviews-test-v2" (jason -> v2, else v1)
// and a ratings route with a fault.
pc::ProxyConfig sidecar_config() {
  pc::ProxyConfig config;
  config.listeners.push_back({"0.0.0.0_9080", "0.0.0.0", 9080, pc::Listener::Protocol::kHttp, "9080", ""});
  pc::RouteTable table;
  table.name = "9080";
  pc::VirtualHost reviews;
  reviews.name = "reviews.default.svc.cluster.local:9080";
  reviews.domains = {"reviews", "reviews:9080", "reviews.default.svc.cluster.local"};
  pc::RouteMatch jason;
  jason.headers.push_back({"end-user", exact("jason"), false});
  reviews.routes.push_back(forward_route("", {jason}, "outbound|9080|v2|reviews.default.svc.cluster.local"));
  reviews.routes.push_back(forward_route("", {}, "outbound|9080|v1|reviews.default.svc.cluster.local"));
  for (pc::Route& r : reviews.routes) r.virtual_service = "reviews.default";
  pc::VirtualHost ratings;
  ratings.name = "ratings.default.svc.cluster.local:9080";
  ratings.domains = {"ratings", "ratings:9080"};
  pc::Route faulty = forward_route("", {jason}, "outbound|9080|v1|ratings.default.svc.cluster.local");
  faulty.fault = pc::FaultPolicy{7s, 100, 0, 0};
  auto& forward = std::get<pc::ForwardAction>(faulty.action);
  forward.timeout = 10s;
  forward.retry.attempts = 2;
  forward.retry.retry_on = {"5xx"};
  forward.mirrors.push_back({"outbound|9080|v2|ratings.default.svc.cluster.local", "", 50});
  ratings.routes.push_back(faulty);
  table.virtual_hosts = {reviews, ratings};
  table.index();
  config.route_tables.push_back(table);
  config.clusters.push_back(cluster("outbound|9080|v1|reviews.default.svc.cluster.local", {"10.0.0.1"}));
  config.clusters.push_back(
      cluster("outbound|9080|v2|reviews.default.svc.cluster.local", {"10.0.0.2", "fd00::2"}));
  return config;
}

}  // namespace

TEST_CASE("parse_request: absolute URLs, Host headers, default ports") {
  RequestText r = parse_ok("GET http://reviews:9080/reviews/0?x=1", {"End-User: jason "});
  CHECK(r.method == "GET");
  CHECK(r.authority == "reviews:9080");
  CHECK(r.path == "/reviews/0?x=1");
  CHECK(r.port == 9080);
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0] == std::pair<std::string, std::string>{"end-user", "jason"});
  r = parse_ok("POST /api", {"Host: ratings"});
  CHECK((r.method == "POST" && r.authority == "ratings" && r.port == 80 && r.path == "/api"));
  r = parse_ok("https://secure.example.com");
  CHECK((r.method == "GET" && r.scheme == "https" && r.port == 443 && r.path == "/"));
  r = parse_ok("GET productpage?u=1", {});
  CHECK((r.authority == "productpage" && r.path == "/?u=1"));
  r = parse_ok("GET http://[::1]:8080/");
  CHECK(r.port == 8080);
  CHECK(parse_error("GET /x").find("no host") != std::string::npos);
  CHECK(parse_error("GET http://a:99999/").find("bad port") != std::string::npos);
  CHECK(parse_error("GET http://a:x/").find("bad port") != std::string::npos);
  CHECK(parse_error("GET ftp://a/").find("unsupported scheme") != std::string::npos);
  CHECK(parse_error("GET http://a/", {"no-colon"}).find("Name: value") != std::string::npos);
  CHECK(parse_error("GET a b").find("METHOD URL") != std::string::npos);
  CHECK(parse_error("  ").find("METHOD URL") != std::string::npos);
}

TEST_CASE("explain: header route wins for jason, default route otherwise, with reasons") {
  pc::ProxyConfig config = sidecar_config();
  RequestText jason = parse_ok("GET http://reviews:9080/reviews/0", {"end-user: jason"});
  Explanation e = explain(config, jason);
  CHECK(e.listener == "0.0.0.0_9080");
  CHECK(e.route_table == "9080");
  CHECK(e.virtual_host == "reviews.default.svc.cluster.local:9080");
  REQUIRE(e.route != nullptr);
  CHECK(e.route_index == 0);
  REQUIRE(e.destinations.size() == 1);
  CHECK(e.destinations[0].cluster == "outbound|9080|v2|reviews.default.svc.cluster.local");
  CHECK(e.destinations[0].endpoints == std::vector<std::string>{"10.0.0.2:9080", "[fd00::2]:9080"});
  CHECK(e.reasons.empty());

  RequestText bob = parse_ok("GET http://reviews:9080/reviews/0", {"end-user: bob"});
  e = explain(config, bob);
  CHECK(e.route_index == 1);
  CHECK(e.destinations.at(0).cluster == "outbound|9080|v1|reviews.default.svc.cluster.local");
  CHECK(e.reasons ==
        std::vector<std::string>{"route 0: header end-user: exact \"jason\" did not match \"bob\""});
  nlohmann::json j = to_json(e);
  for (const char* key : {"listener", "routeTable", "virtualHost", "virtualService", "routeIndex",
                          "routeName", "action", "destinations", "reasons"}) {
    CHECK_MESSAGE(j.contains(key), key);
  }
  CHECK(j["action"] == "forward");
  CHECK(j["virtualService"] == "reviews.default");
  CHECK(j["routeIndex"] == 1);
  CHECK(j["destinations"][0]["weight"] == 100);
  CHECK(j["destinations"][0]["endpoints"][0] == "10.0.0.1:9080");
  CHECK(j["reasons"].size() == 1);
  std::string text = to_text(e);
  CHECK(text.find("VirtualService:   reviews.default") != std::string::npos);
  CHECK(text.find("did not match \"bob\"") != std::string::npos);
}

TEST_CASE("explain: fault, timeout, retries and mirrors are shown") {
  pc::ProxyConfig config = sidecar_config();
  RequestText req = parse_ok("GET http://ratings:9080/ratings/0", {"end-user: jason"});
  Explanation e = explain(config, req);
  REQUIRE(e.route != nullptr);
  nlohmann::json j = to_json(e);
  CHECK(j["fault"]["delay"]["fixedDelay"] == "7s");
  CHECK(j["fault"]["delay"]["percent"] == 100.0);
  CHECK(j["timeout"] == "10s");
  CHECK(j["retries"]["attempts"] == 2);
  CHECK(j["mirrors"][0]["percent"] == 50.0);
  CHECK(j["destinations"][0]["missingCluster"] == true);
  std::string text = to_text(e);
  CHECK(text.find("delay 7s for 100% of requests") != std::string::npos);
  CHECK(text.find("2 attempts, on 5xx") != std::string::npos);
  CHECK(text.find("(cluster missing)") != std::string::npos);
}

TEST_CASE("explain: no route is NR with reasons") {
  pc::ProxyConfig config = sidecar_config();
  RequestText req = parse_ok("GET http://ratings:9080/ratings/0", {"end-user: bob"});
  Explanation e = explain(config, req);
  CHECK(e.route == nullptr);
  nlohmann::json j = to_json(e);
  CHECK(j["action"] == "none");
  CHECK(j["responseFlag"] == "NR");
  CHECK(j["routeIndex"].is_null());
  CHECK(j["destinations"].empty());
  REQUIRE(j["reasons"].size() == 2);
  CHECK(j["reasons"][1] == "no route in virtual host \"ratings.default.svc.cluster.local:9080\" matched");

  RequestText unknown_host = parse_ok("GET http://details:9080/");
  e = explain(config, unknown_host);
  CHECK(e.route == nullptr);
  CHECK(e.reasons.at(0).find("no virtual host") != std::string::npos);

  RequestText other_port = parse_ok("GET http://reviews:8080/");
  e = explain(config, other_port);
  CHECK(e.route_table == "8080");
  CHECK(e.reasons.at(0) == "no route table \"8080\" for port 8080 (route tables: 9080)");
  CHECK(to_text(e).find("no route: 404 NR") != std::string::npos);
}

TEST_CASE("explain: gateways use http.<port> and a redirect or direct response is described") {
  pc::ProxyConfig config;
  config.proxy.type = pc::ProxyIdentity::Type::kGateway;
  pc::RouteTable table;
  table.name = "http.80";
  pc::VirtualHost any;
  any.name = "*:80";
  any.domains = {"*"};
  pc::Route old_page;
  pc::RouteMatch old_uri;
  old_uri.uri = exact("/old");
  old_page.matches = {old_uri};
  old_page.action = pc::RedirectAction{"", "", 0, model::HTTPRedirect::DerivePort::kNone, "/new", 301};
  pc::Route teapot;
  teapot.name = "teapot";
  teapot.action = pc::DirectResponseAction{418, "short and stout"};
  any.routes = {old_page, teapot};
  table.virtual_hosts = {any};
  table.index();
  config.route_tables.push_back(table);

  RequestText old_req = parse_ok("GET http://bookinfo.example.com/old");
  Explanation e = explain(config, old_req);
  CHECK(e.route_table == "http.80");
  CHECK(e.listener.empty());
  nlohmann::json j = to_json(e);
  CHECK(j["action"] == "redirect");
  CHECK(j["redirect"]["path"] == "/new");
  CHECK(to_text(e).find("HTTP 301") != std::string::npos);

  RequestText other = parse_ok("GET http://bookinfo.example.com/x");
  e = explain(config, other);
  j = to_json(e);
  CHECK(j["action"] == "directResponse");
  CHECK(j["directResponse"]["status"] == 418);
  CHECK(j["routeName"] == "teapot");
  CHECK(j["reasons"][0] == "route 0: uri exact \"/old\" did not match \"/x\"");
}

TEST_CASE("durations print in the largest whole unit") {
  CHECK(format_duration(7s) == "7s");
  CHECK(format_duration(500ms) == "500ms");
  CHECK(format_duration(1500us) == "1500us");
  CHECK(format_duration(std::chrono::nanoseconds(3)) == "3ns");
}
