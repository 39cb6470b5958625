// Builders of translate(), from C++ objects: sidecar route tables and virtual
// hosts, VirtualService routes (matches, weights, retries, source filtering,
// delegates), clusters with merged traffic policy, scoping, gateways, listeners.
#include "core/translate/translate.h"

#include <doctest/doctest.h>

using namespace mesh;

namespace {

model::Meta meta(std::string name, std::string ns = "default") {
  model::Meta m;
  m.name = std::move(name);
  m.ns = std::move(ns);
  return m;
}

void add_app(model::ConfigSet& c, const std::string& app, std::vector<std::string> versions,
             const std::string& ns = "default", uint32_t port = 9080) {
  model::Service s;
  s.meta = meta(app, ns);
  s.selector = {{"app", app}};
  s.ports.push_back({"http", port, 0, "", "TCP", ""});
  c.services.push_back(s);
  for (const std::string& v : versions) {
    model::Workload w;
    w.meta = meta(app + "-" + v, ns);
    w.template_.labels = {{"app", app}, {"version", v}};
    w.selector = w.template_.labels;
    c.workloads.push_back(w);
  }
}

model::HTTPRouteDestination dest(std::string host, std::string subset = "", int32_t weight = 0) {
  model::HTTPRouteDestination d;
  d.destination.host = std::move(host);
  d.destination.subset = std::move(subset);
  d.weight = weight;
  return d;
}

model::VirtualService vs(std::string name, std::vector<std::string> hosts,
                         std::vector<model::HTTPRoute> http) {
  model::VirtualService v;
  v.meta = meta(std::move(name));
  v.hosts = std::move(hosts);
  v.http = std::move(http);
  return v;
}

model::HTTPRoute route_to(std::vector<model::HTTPRouteDestination> d) {
  model::HTTPRoute r;
  r.route = std::move(d);
  return r;
}

model::HTTPMatchRequest prefix(std::string p) {
  model::HTTPMatchRequest m;
  m.uri = model::StringMatch{model::StringMatch::Kind::kPrefix, std::move(p), {}};
  return m;
}

model::DestinationRule dr_with_subsets(std::string host, std::vector<std::string> versions) {
  model::DestinationRule d;
  d.meta = meta(host);
  d.host = host;
  for (const std::string& v : versions) d.subsets.push_back({v, {{"version", v}}, std::nullopt, {}});
  return d;
}

pc::ProxyIdentity sidecar(model::Labels labels = {}, std::string ns = "default") {
  pc::ProxyIdentity p;
  p.name = "client";
  p.ns = std::move(ns);
  p.labels = std::move(labels);
  return p;
}

// A Gateway selecting istio=ingressgateway with one server for every host.
model::Gateway ingress_gateway(std::string name, uint32_t port, std::string protocol) {
  model::Gateway g;
  g.meta = meta(std::move(name));
  g.selector = {{"istio", "ingressgateway"}};
  model::Server server;
  server.port = {port, std::move(protocol), "server", 0};
  server.hosts = {"*"};
  g.servers.push_back(server);
  return g;
}

// The ingress gateway proxy those Gateways select.
pc::ProxyIdentity ingress_identity() {
  pc::ProxyIdentity gw;
  gw.type = pc::ProxyIdentity::Type::kGateway;
  gw.ns = "istio-system";
  gw.labels = {{"istio", "ingressgateway"}};
  return gw;
}

std::shared_ptr<const pc::ProxyConfig> run(const model::ConfigSet& c,
                                           const pc::ProxyIdentity& p = sidecar()) {
  const auto reg = registry::Registry::build(c);
  return translate::translate(c, reg, p);
}

const pc::VirtualHost* vhost(const pc::ProxyConfig& cfg, std::string_view table, std::string_view name) {
  const pc::RouteTable* t = cfg.find_route_table(table);
  if (!t) return nullptr;
  for (const auto& v : t->virtual_hosts) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

const pc::ForwardAction& forward(const pc::Route& r) {
  return std::get<pc::ForwardAction>(r.action);
}

}  // namespace

TEST_CASE("a service without VirtualService gets one virtual host with Istio's default route") {
  model::ConfigSet c;
  add_app(c, "reviews", {"v1", "v2"});
  const auto cfg = run(c);
  const pc::VirtualHost* v = vhost(*cfg, "9080", "reviews.default.svc.cluster.local:9080");
  REQUIRE(v);
  CHECK(v->domains[0] == "reviews.default.svc.cluster.local");
  CHECK(v->domains[1] == "reviews.default.svc.cluster.local:9080");
  CHECK(std::find(v->domains.begin(), v->domains.end(), "reviews") != v->domains.end());
  CHECK(std::find(v->domains.begin(), v->domains.end(), "reviews.default.svc:9080") != v->domains.end());
  CHECK(v->domains.size() == 10);  // FQDN, short, name.ns, name.ns.svc, VIP, each with and without port
  REQUIRE(v->routes.size() == 1);
  CHECK(v->routes[0].name == "default");
  CHECK(v->routes[0].matches[0].uri->value == "/");
  const auto& f = forward(v->routes[0]);
  CHECK(f.clusters[0].cluster == "outbound|9080||reviews.default.svc.cluster.local");
  CHECK(f.clusters[0].weight == 100);
  CHECK(f.retry.attempts == 2);
  CHECK(f.retry.retriable_status_codes == std::vector<uint32_t>{503});
  CHECK_FALSE(f.timeout);
  CHECK(cfg->find_route_table("9080")->exact_domains.count("reviews:9080") == 1);
}

TEST_CASE("short names are offered only to proxies in the service's namespace") {
  model::ConfigSet c;
  add_app(c, "reviews", {"v1"});
  const auto cfg = run(c, sidecar({}, "other"));
  const pc::VirtualHost* v = vhost(*cfg, "9080", "reviews.default.svc.cluster.local:9080");
  REQUIRE(v);
  CHECK(std::find(v->domains.begin(), v->domains.end(), "reviews") == v->domains.end());
  CHECK(std::find(v->domains.begin(), v->domains.end(), "reviews.default") != v->domains.end());
}

TEST_CASE("VirtualService routes: order, weights, header ops, timeout, retries off") {
  model::ConfigSet c;
  add_app(c, "reviews", {"v1", "v2", "v3"});
  c.destination_rules.push_back(dr_with_subsets("reviews", {"v1", "v2", "v3"}));
  model::HTTPRoute first = route_to({dest("reviews", "v2")});
  first.name = "jason";
  model::HTTPMatchRequest m;
  m.headers.push_back({"end-user", {model::StringMatch::Kind::kExact, "jason", {}}});
  first.match.push_back(m);
  first.headers.request.set.push_back({"x-a", "1"});
  first.timeout = std::chrono::seconds(3);
  first.retries = model::HTTPRetry{0, std::nullopt, "", std::nullopt};
  model::HTTPRoute split = route_to({dest("reviews", "v1", 90), dest("reviews", "v3", 10)});
  split.route[0].headers.response.remove.push_back("x-b");
  c.virtual_services.push_back(vs("reviews", {"reviews"}, {first, split}));
  const auto cfg = run(c);
  const pc::VirtualHost* v = vhost(*cfg, "9080", "reviews.default.svc.cluster.local:9080");
  REQUIRE(v);
  REQUIRE(v->routes.size() == 2);
  CHECK(v->routes[0].name == "jason");
  CHECK(v->routes[0].virtual_service == "reviews.default");
  CHECK(v->routes[0].matches[0].headers[0].name == "end-user");
  CHECK(v->routes[0].request_headers.set[0].first == "x-a");
  CHECK(forward(v->routes[0]).timeout == std::chrono::seconds(3));
  CHECK(forward(v->routes[0]).retry.attempts == 0);
  CHECK(forward(v->routes[0]).clusters[0].cluster == "outbound|9080|v2|reviews.default.svc.cluster.local");
  const auto& f = forward(v->routes[1]);
  REQUIRE(f.clusters.size() == 2);
  CHECK(f.clusters[0].weight == 90);
  CHECK(f.total_weight == 100);
  CHECK(f.clusters[0].response_headers.remove[0] == "x-b");
  CHECK(v->routes[1].matches.empty());  // no match: catch-all
}

TEST_CASE("retryOn status codes become retriable status codes") {
  model::ConfigSet c;
  add_app(c, "a", {"v1"});
  model::HTTPRoute r = route_to({dest("a")});
  r.retries = model::HTTPRetry{3, std::chrono::seconds(1), "5xx,502", std::nullopt};
  c.virtual_services.push_back(vs("a", {"a"}, {r}));
  const auto cfg = run(c);
  const auto& retry = forward(vhost(*cfg, "9080", "a.default.svc.cluster.local:9080")->routes[0]).retry;
  CHECK(retry.attempts == 3);
  CHECK(retry.retry_on == std::vector<std::string>{"5xx", "retriable-status-codes"});
  CHECK(retry.retriable_status_codes == std::vector<uint32_t>{502});
}

TEST_CASE("match blocks for other sources are dropped, and a route without blocks left is dropped") {
  model::ConfigSet c;
  add_app(c, "a", {"v1"});
  model::HTTPRoute only_b = route_to({dest("a")});
  model::HTTPMatchRequest from_b = prefix("/b");
  from_b.source_labels = {{"app", "b"}};
  only_b.match.push_back(from_b);
  model::HTTPRoute mixed = route_to({dest("a")});
  model::HTTPMatchRequest other_ns = prefix("/ns");
  other_ns.source_namespace = "elsewhere";
  model::HTTPMatchRequest wrong_port = prefix("/port");
  wrong_port.port = 1234;
  mixed.match = {other_ns, wrong_port, prefix("/any")};
  c.virtual_services.push_back(vs("a", {"a"}, {only_b, mixed}));
  auto cfg = run(c, sidecar({{"app", "c"}}));
  auto* v = vhost(*cfg, "9080", "a.default.svc.cluster.local:9080");
  REQUIRE(v->routes.size() == 1);
  REQUIRE(v->routes[0].matches.size() == 1);
  CHECK(v->routes[0].matches[0].uri->value == "/any");
  cfg = run(c, sidecar({{"app", "b"}}));
  CHECK(vhost(*cfg, "9080", "a.default.svc.cluster.local:9080")->routes.size() == 2);
}

TEST_CASE("VirtualServices bound only to a gateway do not apply to sidecars") {
  model::ConfigSet c;
  add_app(c, "a", {"v1"});
  auto v = vs("a", {"a"}, {route_to({dest("a", "v1")})});
  v.gateways = {"gw"};
  c.virtual_services.push_back(v);
  const auto cfg = run(c);
  auto* vh = vhost(*cfg, "9080", "a.default.svc.cluster.local:9080");
  CHECK(vh->routes[0].name == "default");
}

TEST_CASE("delegate VirtualServices are inlined under the root's matches") {
  model::ConfigSet c;
  add_app(c, "a", {"v1", "v2"});
  model::HTTPRoute root;
  root.match.push_back(prefix("/api"));
  root.delegate = model::Delegate{"a-api", ""};
  c.virtual_services.push_back(vs("a", {"a"}, {root}));
  model::HTTPRoute inner = route_to({dest("a", "v2")});
  inner.match.push_back(prefix("/api/v2"));
  model::HTTPRoute conflicting = route_to({dest("a", "v1")});
  conflicting.match.push_back(prefix("/other"));
  c.virtual_services.push_back(vs("a-api", {}, {inner, conflicting, route_to({dest("a", "v1")})}));
  const auto cfg = run(c);
  auto* v = vhost(*cfg, "9080", "a.default.svc.cluster.local:9080");
  REQUIRE(v->routes.size() == 2);
  CHECK(v->routes[0].matches[0].uri->value == "/api/v2");
  CHECK(v->routes[0].virtual_service == "a-api.default");
  CHECK(v->routes[1].matches[0].uri->value == "/api");
}

TEST_CASE("clusters: one per port and subset, endpoints by subset labels, merged policy") {
  model::ConfigSet c;
  add_app(c, "reviews", {"v1", "v2"});
  auto d = dr_with_subsets("reviews", {"v1", "v2"});
  d.traffic_policy.emplace();
  d.traffic_policy->load_balancer =
      model::LoadBalancerSettings{model::LoadBalancerSettings::Simple::kRandom, {}, {}};
  d.traffic_policy->tls = model::ClientTLSSettings{};
  d.traffic_policy->tls->mode = model::ClientTLSSettings::Mode::kIstioMutual;
  model::PortTrafficPolicy pl;
  pl.port.number = 9080;
  pl.load_balancer = model::LoadBalancerSettings{model::LoadBalancerSettings::Simple::kRoundRobin, {}, {}};
  d.traffic_policy->port_level_settings.push_back(pl);
  d.subsets[1].traffic_policy.emplace();
  d.subsets[1].traffic_policy->load_balancer =
      model::LoadBalancerSettings{model::LoadBalancerSettings::Simple::kLeastConn, {}, {}};
  c.destination_rules.push_back(d);
  const auto cfg = run(c);
  const pc::Cluster* all = cfg->find_cluster("outbound|9080||reviews.default.svc.cluster.local");
  const pc::Cluster* v1 = cfg->find_cluster("outbound|9080|v1|reviews.default.svc.cluster.local");
  const pc::Cluster* v2 = cfg->find_cluster("outbound|9080|v2|reviews.default.svc.cluster.local");
  REQUIRE((all && v1 && v2));
  CHECK(all->endpoints.size() == 2);
  REQUIRE(v2->endpoints.size() == 1);
  CHECK(v2->endpoints[0].labels.at("version") == "v2");
  CHECK(v2->endpoints[0].pod == "reviews-v2-0");
  using S = model::LoadBalancerSettings::Simple;
  CHECK(all->load_balancer.simple == S::kRoundRobin);  // port level over top level
  CHECK(v1->load_balancer.simple == S::kRoundRobin);
  CHECK(v2->load_balancer.simple == S::kLeastConn);  // subset over both
  CHECK(v2->tls->mode == model::ClientTLSSettings::Mode::kIstioMutual);
  model::ConfigSet plain;
  add_app(plain, "x", {"v1"});
  CHECK(run(plain)->find_cluster("outbound|9080||x.default.svc.cluster.local")->load_balancer.simple ==
        S::kLeastRequest);
}

TEST_CASE("exportTo and Sidecar egress hosts limit what a proxy sees") {
  model::ConfigSet c;
  add_app(c, "a", {"v1"});
  add_app(c, "b", {"v1"}, "team");
  add_app(c, "private", {"v1"}, "team");
  c.services.back().meta.annotations["networking.istio.io/exportTo"] = ".";
  auto cfg = run(c);
  CHECK(vhost(*cfg, "9080", "b.team.svc.cluster.local:9080"));
  CHECK_FALSE(vhost(*cfg, "9080", "private.team.svc.cluster.local:9080"));
  CHECK(vhost(*run(c, sidecar({}, "team")), "9080", "private.team.svc.cluster.local:9080"));
  model::Sidecar s;
  s.meta = meta("default");
  s.egress.push_back({std::nullopt, "", "", {"./*"}});
  s.outbound_traffic_policy =
      model::OutboundTrafficPolicy{model::OutboundTrafficPolicy::Mode::kRegistryOnly, {}};
  c.sidecars.push_back(s);
  cfg = run(c);
  CHECK(vhost(*cfg, "9080", "a.default.svc.cluster.local:9080"));
  CHECK_FALSE(vhost(*cfg, "9080", "b.team.svc.cluster.local:9080"));
  CHECK_FALSE(cfg->find_cluster("outbound|9080||b.team.svc.cluster.local"));
  CHECK(cfg->outbound_policy == model::OutboundTrafficPolicy::Mode::kRegistryOnly);
  CHECK(vhost(*cfg, "9080", "block_all"));
}

TEST_CASE("gateways: listeners and route tables from selected Gateways and bound VirtualServices") {
  model::ConfigSet c;
  add_app(c, "productpage", {"v1"});
  c.gateways.push_back(ingress_gateway("bookinfo-gateway", 8080, "HTTP"));
  model::HTTPRoute r = route_to({dest("productpage")});
  model::HTTPMatchRequest exact;
  exact.uri = model::StringMatch{model::StringMatch::Kind::kExact, "/productpage", {}};
  r.match = {exact, prefix("/static")};
  auto v = vs("bookinfo", {"*"}, {r});
  v.gateways = {"bookinfo-gateway"};
  c.virtual_services.push_back(v);
  pc::ProxyIdentity gw = ingress_identity();
  const auto cfg = run(c, gw);
  REQUIRE(cfg->listeners.size() == 1);
  CHECK(cfg->listeners[0].name == "0.0.0.0_8080");
  CHECK(cfg->listeners[0].route_table == "http.8080");
  const pc::VirtualHost* vh = vhost(*cfg, "http.8080", "*:8080");
  REQUIRE(vh);
  CHECK(vh->domains == std::vector<std::string>{"*"});
  REQUIRE(vh->routes.size() == 1);
  CHECK(vh->routes[0].matches.size() == 2);
  CHECK(forward(vh->routes[0]).clusters[0].cluster == "outbound|9080||productpage.default.svc.cluster.local");
  CHECK(cfg->find_route_table("http.8080")->catch_all == 0u);
  gw.labels = {{"istio", "other"}};
  CHECK(run(c, gw)->route_tables.empty());
  // The sidecar does not get the gateway's VirtualService.
  CHECK(vhost(*run(c), "9080", "productpage.default.svc.cluster.local:9080")->routes[0].name == "default");
}

TEST_CASE("sidecar listeners: virtual listeners, one HTTP listener per port, TCP per service port") {
  model::ConfigSet c;
  add_app(c, "a", {"v1"});
  model::Service db;
  db.meta = meta("db");
  db.ports.push_back({"tcp-db", 5432, 0, "", "TCP", ""});
  c.services.push_back(db);
  const auto cfg = run(c, sidecar({{"app", "a"}, {"version", "v1"}}));
  std::vector<std::string> names;
  for (const auto& l : cfg->listeners) names.push_back(l.name);
  CHECK(names[0] == "virtualOutbound");
  CHECK(names[1] == "virtualInbound");
  CHECK(std::find(names.begin(), names.end(), "0.0.0.0_9080") != names.end());
  const auto& tcp = cfg->listeners.back();
  CHECK(tcp.protocol == pc::Listener::Protocol::kTcp);
  CHECK(tcp.tcp_cluster == "outbound|5432||db.default.svc.cluster.local");
  CHECK(cfg->find_cluster("inbound|9080||"));
  CHECK_FALSE(cfg->find_route_table("5432"));
}

namespace {

// tcp-echo (TCP port 9000, versions v1 and v2) with a DestinationRule for both.
model::ConfigSet tcp_echo() {
  model::ConfigSet c;
  add_app(c, "tcp-echo", {"v1", "v2"}, "default", 9000);
  c.services.back().ports[0].name = "tcp";
  c.destination_rules.push_back(dr_with_subsets("tcp-echo", {"v1", "v2"}));
  return c;
}

model::VirtualService tcp_split(std::vector<std::string> gateways, uint32_t match_port, uint32_t dest_port) {
  model::VirtualService v;
  v.meta = meta("tcp-echo");
  v.hosts = {"*"};
  if (gateways.empty()) v.hosts = {"tcp-echo"};
  v.gateways = std::move(gateways);
  model::TCPRoute r;
  if (match_port != 0) r.match.push_back(model::L4MatchAttributes{});
  if (match_port != 0) r.match.back().port = match_port;
  for (auto [subset, weight] : {std::pair<const char*, int>{"v1", 80}, {"v2", 20}}) {
    model::RouteDestination d;
    d.destination.host = "tcp-echo";
    d.destination.subset = subset;
    d.destination.port.number = dest_port;
    d.weight = weight;
    r.route.push_back(d);
  }
  v.tcp.push_back(r);
  return v;
}

const pc::Listener* listener_named(const pc::ProxyConfig& cfg, std::string_view name) {
  for (const pc::Listener& l : cfg.listeners) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("tcp routes: a sidecar's TCP listener splits connections by the route's weights") {
  model::ConfigSet c = tcp_echo();
  c.virtual_services.push_back(tcp_split({}, 0, 0));
  const auto cfg = run(c, sidecar());
  const pc::Listener* l = nullptr;
  for (const pc::Listener& x : cfg->listeners) {
    if (x.port == 9000) l = &x;
  }
  REQUIRE(l);
  CHECK(l->protocol == pc::Listener::Protocol::kTcp);
  CHECK(l->tcp_cluster == "outbound|9000|v1|tcp-echo.default.svc.cluster.local");
  REQUIRE(l->tcp_weighted.size() == 2);
  CHECK(l->tcp_weighted[1].cluster == "outbound|9000|v2|tcp-echo.default.svc.cluster.local");
  CHECK(l->tcp_weighted[0].weight == 80);
  CHECK(l->tcp_weighted[1].weight == 20);
  CHECK(cfg->find_cluster("outbound|9000|v2|tcp-echo.default.svc.cluster.local"));
}

TEST_CASE("tcp routes: a gateway's TCP server goes where its bound VirtualService's tcp route says") {
  model::ConfigSet c = tcp_echo();
  c.gateways.push_back(ingress_gateway("tcp-gateway", 31400, "TCP"));
  // No destination port: the service's only port (9000), not the gateway's.
  c.virtual_services.push_back(tcp_split({"tcp-gateway"}, 31400, 0));
  const pc::ProxyIdentity gw = ingress_identity();
  auto cfg = run(c, gw);
  const pc::Listener* l = listener_named(*cfg, "0.0.0.0_31400");
  REQUIRE(l);
  CHECK(l->protocol == pc::Listener::Protocol::kTcp);
  CHECK(l->tcp_cluster == "outbound|9000|v1|tcp-echo.default.svc.cluster.local");
  REQUIRE(l->tcp_weighted.size() == 2);
  CHECK(cfg->find_cluster("outbound|9000|v2|tcp-echo.default.svc.cluster.local"));
  // A route matching another port, or a VirtualService for the mesh, leaves the server without a destination.
  c.virtual_services.back() = tcp_split({"tcp-gateway"}, 31401, 0);
  CHECK(listener_named(*run(c, gw), "0.0.0.0_31400")->tcp_cluster.empty());
  c.virtual_services.back() = tcp_split({}, 0, 0);
  CHECK(listener_named(*run(c, gw), "0.0.0.0_31400")->tcp_cluster.empty());
}

TEST_CASE("JSON and YAML dumps carry the same fields") {
  model::ConfigSet c;
  add_app(c, "a", {"v1"});
  const auto cfg = run(c);
  const std::string json = translate::to_json(*cfg);
  const std::string yaml = translate::to_yaml(*cfg);
  CHECK(json.find("\"routeTables\"") != std::string::npos);
  CHECK(yaml.find("routeTables:") != std::string::npos);
  CHECK(yaml.find("- name: \"9080\"") != std::string::npos);
  CHECK(yaml.find("outbound|9080||a.default.svc.cluster.local") != std::string::npos);
}

TEST_CASE("clusters: sidecars share one endpoint list per service port and subset; writes copy") {
  model::ConfigSet c;
  add_app(c, "reviews", {"v1", "v2"});
  c.destination_rules.push_back(dr_with_subsets("reviews", {"v1", "v2"}));
  const auto reg = registry::Registry::build(c);
  const auto a = translate::translate(c, reg, sidecar({{"app", "a"}}));
  const auto b = translate::translate(c, reg, sidecar({{"app", "b"}}, "other"));
  for (const char* name : {"outbound|9080||reviews.default.svc.cluster.local",
                           "outbound|9080|v2|reviews.default.svc.cluster.local"}) {
    CAPTURE(name);
    REQUIRE((a->find_cluster(name) && b->find_cluster(name)));
    CHECK(a->find_cluster(name)->endpoints.identity() == b->find_cluster(name)->endpoints.identity());
  }
  pc::Cluster copy = *a->find_cluster("outbound|9080|v2|reviews.default.svc.cluster.local");
  copy.endpoints.mutable_at(0).healthy = false;
  CHECK(copy.endpoints.identity() != b->find_cluster(copy.name)->endpoints.identity());
  CHECK(b->find_cluster(copy.name)->endpoints[0].healthy);
  CHECK_FALSE(copy.endpoints[0].healthy);
}
