// SharedTranslation: every config equals translate()'s, proxies with the same
// scope share one route table list, and whatever makes two proxies' routes
// differ (namespace, a Sidecar resource, labels that sourceLabels or a
// DestinationRule selector look at) gives them different scopes.
#include <thread>

#include <doctest/doctest.h>

#include "core/translate/translate.h"

using namespace mesh;

namespace {

model::Meta meta(std::string name, std::string ns = "default") {
  model::Meta m;
  m.name = std::move(name);
  m.ns = std::move(ns);
  return m;
}

void add_app(model::ConfigSet& c, const std::string& app, const std::string& ns) {
  model::Service s;
  s.meta = meta(app, ns);
  s.selector = {{"app", app}};
  s.ports.push_back({"http", 9080, 0, "", "TCP", ""});
  c.services.push_back(s);
  model::Pod pod;
  pod.meta = meta(app + "-0", ns);
  pod.meta.labels = {{"app", app}};
  pod.spec.labels = pod.meta.labels;
  pod.pod_ip = "10.0.0." + std::to_string(c.pods.size() + 1);
  c.pods.push_back(pod);
}

// A VirtualService for `host` whose first route only applies to sources labelled `source`.
model::VirtualService vs(const std::string& host, const std::string& ns, model::Labels source = {}) {
  model::VirtualService v;
  v.meta = meta(host, ns);
  v.hosts = {host};
  model::HTTPRoute r;
  r.name = "first";
  model::HTTPMatchRequest m;
  m.uri = model::StringMatch{model::StringMatch::Kind::kRegex, "/v[0-9]+/.*", {}};
  m.source_labels = std::move(source);
  r.match.push_back(m);
  model::HTTPRouteDestination d;
  d.destination.host = host;
  r.route.push_back(d);
  v.http.push_back(r);
  return v;
}

pc::ProxyIdentity proxy(std::string name, std::string ns, model::Labels labels = {{"app", "client"}}) {
  pc::ProxyIdentity p;
  p.name = std::move(name);
  p.ns = std::move(ns);
  p.labels = std::move(labels);
  return p;
}

// Two namespaces, each with a service and a VirtualService.
model::ConfigSet mesh_of_two() {
  model::ConfigSet c;
  add_app(c, "a", "one");
  add_app(c, "b", "two");
  c.virtual_services.push_back(vs("a", "one"));
  c.virtual_services.push_back(vs("b", "two"));
  return c;
}

// mesh_of_two plus a route in "two" only for sources labelled app=special, so
// labels matter to scopes.
model::ConfigSet mesh_with_source_labels() {
  model::ConfigSet c = mesh_of_two();
  c.virtual_services.push_back(vs("a", "two", {{"app", "special"}}));
  return c;
}

pc::ProxyIdentity ingress_gateway() {
  pc::ProxyIdentity gateway = proxy("gw", "one", {{"istio", "ingressgateway"}});
  gateway.type = pc::ProxyIdentity::Type::kGateway;
  return gateway;
}

size_t routes_for(const pc::ProxyConfig& cfg, std::string_view vhost) {
  for (const pc::VirtualHost& v : cfg.find_route_table("9080")->virtual_hosts) {
    if (v.name == vhost) return v.routes.size();
  }
  return 0;
}

}  // namespace

TEST_CASE("shared translation: every config equals translate()'s, byte for byte") {
  const model::ConfigSet c = mesh_with_source_labels();
  const auto reg = registry::Registry::build(c);
  translate::SharedTranslation shared(c, reg);
  const pc::ProxyIdentity gateway = ingress_gateway();
  for (const pc::ProxyIdentity& p : {proxy("x", "one"), proxy("y", "one"), proxy("z", "two"),
                                     proxy("s", "two", {{"app", "special"}}), gateway}) {
    CAPTURE(p.name);
    CHECK(translate::to_json(*shared.translate(p)) == translate::to_json(*translate::translate(c, reg, p)));
  }
}

TEST_CASE("shared translation: encode() writes the compact dump, sharing the scope's part") {
  const model::ConfigSet c = mesh_with_source_labels();
  const auto reg = registry::Registry::build(c);
  translate::SharedTranslation shared(c, reg);
  const pc::ProxyIdentity gateway = ingress_gateway();
  // a-0 and a-1 serve Service a: each has an inbound cluster of its own after the scope's.
  const std::vector<pc::ProxyIdentity> proxies = {proxy("x", "one"), proxy("a-0", "one", {{"app", "a"}}),
                                                  proxy("a-1", "one", {{"app", "a"}}), proxy("z", "two"),
                                                  proxy("s", "two", {{"app", "special"}}), gateway};
  std::vector<translate::EncodedConfig> encoded;
  for (const pc::ProxyIdentity& p : proxies) {
    CAPTURE(p.name);
    encoded.push_back(shared.encode(p));
    const std::string dump = translate::to_json(*translate::translate(c, reg, p), -1);
    CHECK(encoded.back().text(1) + "\n" == dump);
  }
  CHECK(encoded[1].tail.find("inbound|9080||") != std::string::npos);
  CHECK(encoded[1].shared == encoded[2].shared);  // one encoding per scope
  CHECK(encoded[0].shared != encoded[3].shared);
  for (size_t i = 0; i < encoded.size(); ++i) {
    for (size_t j = i + 1; j < encoded.size(); ++j) CHECK(encoded[i].hash != encoded[j].hash);
  }
  // The hash is of the content: a new generation of the same config hashes the same.
  translate::SharedTranslation again(c, reg);
  CHECK(again.encode(proxies[1]).hash == encoded[1].hash);
}

TEST_CASE("shared translation: sidecars of one namespace share the route table list, others do not") {
  const model::ConfigSet c = mesh_of_two();
  const auto reg = registry::Registry::build(c);
  translate::SharedTranslation shared(c, reg);
  const auto x = shared.translate(proxy("x", "one"));
  const auto y = shared.translate(proxy("y", "one", {{"app", "other"}}));
  const auto z = shared.translate(proxy("z", "two"));
  CHECK(x->route_tables.identity() == y->route_tables.identity());
  CHECK(x->route_tables.identity() != z->route_tables.identity());
  CHECK(shared.scope_count() == 2);
  CHECK(x->proxy.name == "x");  // the identity stays each proxy's own
  CHECK(y->proxy.name == "y");
  // Short names resolve only in the service's own namespace: the scopes differ for real.
  CHECK(x->find_route_table("9080")->exact_domains.count("a:9080") == 1);
  CHECK(z->find_route_table("9080")->exact_domains.count("a:9080") == 0);
}

TEST_CASE(
    "shared translation: labels split scopes only when sourceLabels or a DestinationRule selector look at "
    "them") {
  model::ConfigSet c = mesh_of_two();
  {
    const auto reg = registry::Registry::build(c);
    translate::SharedTranslation shared(c, reg);
    shared.translate(proxy("x", "one", {{"app", "x"}}));
    shared.translate(proxy("y", "one", {{"app", "y"}}));
    CHECK(shared.scope_count() == 1);
  }
  c.virtual_services[0] = vs("a", "one", {{"app", "x"}});
  const auto reg = registry::Registry::build(c);
  translate::SharedTranslation shared(c, reg);
  const auto x = shared.translate(proxy("x", "one", {{"app", "x"}}));
  const auto y = shared.translate(proxy("y", "one", {{"app", "y"}}));
  CHECK(shared.scope_count() == 2);
  CHECK(routes_for(*x, "a.one.svc.cluster.local:9080") == 1);
  CHECK(routes_for(*y, "a.one.svc.cluster.local:9080") == 1);  // the default route
  CHECK(x->find_route_table("9080")->virtual_hosts[0].routes[0].name == "first");
  CHECK(y->find_route_table("9080")->virtual_hosts[0].routes[0].name == "default");
}

TEST_CASE(
    "shared translation: a Sidecar resource with a selector gives the proxies it selects their own scope") {
  model::ConfigSet c = mesh_of_two();
  model::Sidecar s;
  s.meta = meta("only-own", "one");
  s.workload_selector = model::WorkloadSelector{{{"app", "locked"}}};
  s.egress.push_back({std::nullopt, "", "", {"./*"}});
  c.sidecars.push_back(s);
  const auto reg = registry::Registry::build(c);
  translate::SharedTranslation shared(c, reg);
  const auto locked = shared.translate(proxy("l", "one", {{"app", "locked"}}));
  const auto open = shared.translate(proxy("o", "one", {{"app", "open"}}));
  CHECK(shared.scope_count() == 2);
  CHECK(routes_for(*locked, "b.two.svc.cluster.local:9080") == 0);
  CHECK(routes_for(*open, "b.two.svc.cluster.local:9080") == 1);
}

TEST_CASE(
    "shared translation: a change in one namespace shows in the next generation; old configs stay as they "
    "were") {
  model::ConfigSet c = mesh_of_two();
  const auto reg = registry::Registry::build(c);
  translate::SharedTranslation before(c, reg);
  const auto old_one = before.translate(proxy("x", "one"));
  const auto old_two = before.translate(proxy("z", "two"));
  model::ConfigSet changed = c;
  changed.virtual_services[0].http[0].name = "renamed";
  const auto reg2 = registry::Registry::build(changed);
  translate::SharedTranslation after(changed, reg2);
  const auto new_one = after.translate(proxy("x", "one"));
  const auto new_two = after.translate(proxy("z", "two"));
  auto first_route = [](const pc::ProxyConfig& cfg, std::string_view vhost) {
    for (const pc::VirtualHost& v : cfg.find_route_table("9080")->virtual_hosts) {
      if (v.name == vhost) return v.routes[0].name;
    }
    return std::string("none");
  };
  CHECK(first_route(*old_one, "a.one.svc.cluster.local:9080") == "first");
  CHECK(first_route(*new_one, "a.one.svc.cluster.local:9080") == "renamed");
  CHECK(first_route(*new_two, "a.one.svc.cluster.local:9080") == "renamed");  // exported everywhere
  CHECK(translate::to_json(*new_two).find("renamed") != std::string::npos);
  CHECK(translate::to_json(*old_two).find("renamed") == std::string::npos);
}

TEST_CASE("shared translation: proxies translated on two threads at once share one scope") {
  const model::ConfigSet c = mesh_of_two();
  const auto reg = registry::Registry::build(c);
  translate::SharedTranslation shared(c, reg);
  std::shared_ptr<const pc::ProxyConfig> results[2][50];
  auto work = [&](int t) {
    for (int i = 0; i < 50; ++i) results[t][i] = shared.translate(proxy("p" + std::to_string(i), "one"));
  };
  std::thread other(work, 1);
  work(0);
  other.join();
  CHECK(shared.scope_count() == 1);
  const std::string expected = translate::to_json(*translate::translate(c, reg, proxy("p0", "one")));
  CHECK(translate::to_json(*results[1][0]) == expected);
  CHECK(results[0][0]->route_tables.identity() == results[1][49]->route_tables.identity());
}
