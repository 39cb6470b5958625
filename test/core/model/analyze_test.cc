// Cross-object analysis: each finding appears exactly when its condition holds,
// at the position of the offending field. Networking objects are built in C++
// so the analysis is tested independently of their decoders; Kubernetes objects
// come from YAML through the loader.
#include "core/model/analyze.h"

#include <doctest/doctest.h>

#include "core/model/load.h"

using namespace mesh::model;

namespace {

const auto kFile = std::make_shared<const std::string>("cfg.yaml");

Meta meta(std::string kind, std::string name, std::string ns = "default", int line = 1) {
  Meta m;
  m.kind = std::move(kind);
  m.name = std::move(name);
  m.ns = std::move(ns);
  m.file = kFile;
  m.pos = Pos{line, 1};
  return m;
}

Destination dest(std::string host, std::string subset = "", int line = 0) {
  Destination d;
  d.host = std::move(host);
  d.subset = std::move(subset);
  d.pos = Pos{line, 9};
  return d;
}

VirtualService vs(std::string name, std::vector<std::string> hosts, std::vector<Destination> routes,
                  std::vector<std::string> gateways = {}, std::string ns = "default", int line = 1) {
  VirtualService v;
  v.meta = meta("VirtualService", std::move(name), std::move(ns), line);
  v.hosts = std::move(hosts);
  v.gateways = std::move(gateways);
  HTTPRoute r;
  for (auto& d : routes) r.route.push_back(HTTPRouteDestination{std::move(d), 0, {}});
  v.http.push_back(std::move(r));
  return v;
}

DestinationRule dr(std::string name, std::string host, std::vector<std::pair<std::string, Labels>> subsets,
                   std::string ns = "default", int line = 1) {
  DestinationRule d;
  d.meta = meta("DestinationRule", std::move(name), std::move(ns), line);
  d.host = std::move(host);
  int subset_line = line + 3;
  for (auto& [subset_name, labels] : subsets)
    d.subsets.push_back(Subset{subset_name, labels, {}, {subset_line++, 5}});
  return d;
}

Gateway gateway(std::string name, std::string ns = "default", int line = 1) {
  Gateway g;
  g.meta = meta("Gateway", std::move(name), std::move(ns), line);
  return g;
}

// Kubernetes objects through the real loader.
void add_yaml(ConfigSet& config, const std::string& text) {
  Diagnostics diags;
  load_text(text, "kube.yaml", {}, config, diags);
  REQUIRE_MESSAGE(!diags.has_errors(), (diags.items().empty() ? "" : diags.items()[0].format()));
}

const char* kReviewsService = R"(apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
)";

std::vector<std::string> run(const ConfigSet& config) {
  Diagnostics diags;
  analyze(config, diags);
  diags.sort();
  std::vector<std::string> out;
  for (const auto& d : diags.items()) out.push_back(d.format());
  return out;
}

std::string dump(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace

TEST_CASE("a consistent config has no findings") {
  ConfigSet config;
  add_yaml(config, kReviewsService);
  add_yaml(
      config,
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: reviews-v1}\nspec:\n"
      "  template: {metadata: {labels: {app: reviews, version: v1}}, spec: {containers: [{name: a}]}}\n");
  config.virtual_services.push_back(vs("reviews", {"reviews"}, {dest("reviews", "v1", 10)}));
  config.destination_rules.push_back(
      dr("reviews", "reviews.default.svc.cluster.local", {{"v1", {{"version", "v1"}}}}));
  const auto lines = run(config);
  INFO(dump(lines));
  CHECK(lines.empty());
}

TEST_CASE("a subset that no DestinationRule defines") {
  ConfigSet config;
  config.virtual_services.push_back(vs("reviews", {"reviews"}, {dest("reviews", "v2", 12)}));
  auto lines = run(config);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] ==
        "cfg.yaml:12:9: VirtualService/default/reviews: spec.http[0].route[0].destination.subset: warning: "
        "subset "
        "\"v2\" of host reviews.default.svc.cluster.local: no DestinationRule for this host defines subsets");
  config.destination_rules.push_back(dr("reviews", "reviews", {{"v1", {{"version", "v1"}}}}, "default", 30));
  lines = run(config);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("subset \"v2\" is not defined by DestinationRule default/reviews for host "
                      "reviews.default.svc.cluster.local") != std::string::npos);
  // A DestinationRule in another namespace for the same FQDN counts; exportTo can hide it.
  config.destination_rules[0].subsets.push_back(Subset{"v2", {{"version", "v2"}}, {}, {}});
  CHECK(run(config).empty());
  config.destination_rules[0].export_to = {"other"};
  CHECK(run(config).size() == 1);
}

TEST_CASE("hosts that no Service or ServiceEntry knows, once services are known") {
  ConfigSet config;
  config.virtual_services.push_back(vs("r", {"ratings"}, {dest("ratings", "", 7)}));
  config.destination_rules.push_back(dr("d", "ratings.prod.svc.cluster.local", {}, "default", 20));
  CHECK(run(config).empty());  // no service information at all: nothing to compare with
  add_yaml(config, kReviewsService);
  auto lines = run(config);
  INFO(dump(lines));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] ==
        "cfg.yaml:7:9: VirtualService/default/r: spec.http[0].route[0].destination.host: warning: host "
        "ratings.default.svc.cluster.local matches no Service or ServiceEntry");
  CHECK(lines[1] ==
        "cfg.yaml:20:1: DestinationRule/default/d: spec.host: warning: host "
        "ratings.prod.svc.cluster.local matches no Service or ServiceEntry");
  ServiceEntry se;
  se.meta = meta("ServiceEntry", "wild", "default");
  se.hosts = {"*.svc.cluster.local"};
  config.service_entries.push_back(se);
  CHECK(run(config).empty());  // a wildcard host covers both
}

TEST_CASE("wildcard destinations match concrete service hosts") {
  ConfigSet config;
  ServiceEntry se;
  se.meta = meta("ServiceEntry", "api", "default");
  se.hosts = {"api.example.com"};
  config.service_entries.push_back(se);
  config.virtual_services.push_back(vs("w", {"*.example.com"}, {dest("*.example.com")}));
  config.virtual_services.push_back(vs("x", {"x.example.org"}, {dest("x.example.org", "", 4)}));
  const auto lines = run(config);
  INFO(dump(lines));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("VirtualService/default/x") != std::string::npos);
}

TEST_CASE("gateways: unbound gateways and references to missing ones") {
  ConfigSet config;
  config.gateways.push_back(gateway("public", "ingress", 3));
  config.gateways.push_back(gateway("unused", "ingress", 9));
  config.virtual_services.push_back(vs("a", {"a.example.com"}, {}, {"ingress/public", "mesh", "missing"}));
  VirtualService b = vs("b", {"b.example.com"}, {}, {}, "ingress");
  HTTPMatchRequest m;
  m.gateways = {"public", "other.ingress.svc.cluster.local"};
  b.http[0].match.push_back(m);
  config.virtual_services.push_back(b);
  const auto lines = run(config);
  INFO(dump(lines));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] ==
        "cfg.yaml:1:1: VirtualService/default/a: spec.gateways[2]: warning: Gateway default/missing "
        "does not exist");
  CHECK(lines[1] ==
        "cfg.yaml:1:1: VirtualService/ingress/b: spec.http[0].match[0].gateways[1]: warning: Gateway "
        "ingress/other does not exist");
  CHECK(lines[2] == "cfg.yaml:9:1: Gateway/ingress/unused: warning: no VirtualService binds this Gateway");
}

TEST_CASE("two VirtualServices for the same host and gateway conflict") {
  ConfigSet config;
  config.gateways.push_back(gateway("gw"));
  config.virtual_services.push_back(vs("first", {"shop.example.com"}, {}, {"gw"}, "default", 2));
  config.virtual_services.push_back(vs("second", {"shop.example.com"}, {}, {"default/gw"}, "default", 20));
  config.virtual_services.push_back(vs("mesh-one", {"reviews"}, {}, {}, "default", 30));
  config.virtual_services.push_back(
      vs("mesh-two", {"reviews.default.svc.cluster.local"}, {}, {}, "default", 40));
  config.virtual_services.push_back(vs("other-gw", {"reviews"}, {}, {"gw"}, "default", 50));
  const auto lines = run(config);
  INFO(dump(lines));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] ==
        "cfg.yaml:20:1: VirtualService/default/second: spec.hosts[0]: warning: host shop.example.com on "
        "gateway default/gw is also routed by VirtualService default/first (cfg.yaml:2)");
  CHECK(
      lines[1].starts_with("cfg.yaml:40:1: VirtualService/default/mesh-two: spec.hosts[0]: warning: host "
                           "reviews.default.svc.cluster.local on gateway mesh"));
}

TEST_CASE("a subset whose labels select no workload, when workloads are known") {
  ConfigSet config;
  add_yaml(config, kReviewsService);
  config.destination_rules.push_back(
      dr("reviews", "reviews", {{"v1", {{"version", "v1"}}}, {"v3", {{"version", "v3"}}}}, "default", 40));
  CHECK(run(config).empty());  // no workloads known: nothing to compare with
  add_yaml(config,
           "apiVersion: v1\nkind: Pod\nmetadata: {name: r1, labels: {app: reviews, version: v1}}\n"
           "spec: {containers: [{name: a}]}\n---\n"
           "apiVersion: v1\nkind: Pod\nmetadata: {name: x3, labels: {app: other, version: v3}}\n"
           "spec: {containers: [{name: a}]}\n");
  const auto lines = run(config);
  INFO(dump(lines));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] ==
        "cfg.yaml:44:5: DestinationRule/default/reviews: spec.subsets[1].labels: warning: subset \"v3\" "
        "selects no workload of host reviews");
}

TEST_CASE("Service ports without a protocol Istio recognises (IST0118)") {
  ConfigSet config;
  add_yaml(config, R"(apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  ports:
  - {name: http-web, port: 80}
  - {name: web, port: 81}
  - {name: x, port: 82, appProtocol: HTTP2}
  - {name: y, port: 83, appProtocol: magic}
  - {name: dns, port: 53, protocol: UDP}
  - {name: grpc-web-ui, port: 84}
---
apiVersion: v1
kind: Service
metadata: {name: k, namespace: kube-system}
spec:
  ports: [{name: metrics, port: 80}]
)");
  const auto lines = run(config);
  INFO(dump(lines));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] ==
        "kube.yaml:7:5: Service/default/s: spec.ports[1]: warning: port \"web\" (81) names no protocol "
        "Istio recognises; name it <protocol>[-<suffix>] (e.g. http-web) or set appProtocol (IST0118)");
  CHECK(lines[1].starts_with("kube.yaml:9:5: Service/default/s: spec.ports[3]: warning: port \"y\" (83)"));
}

TEST_CASE("duplicate objects are errors naming the first definition") {
  ConfigSet config;
  config.virtual_services.push_back(vs("dup", {"a"}, {}, {}, "default", 3));
  config.virtual_services.push_back(vs("dup", {"b"}, {}, {}, "other", 10));
  config.virtual_services.push_back(vs("dup", {"c"}, {}, {}, "default", 20));
  add_yaml(config,
           "apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n---\n"
           "apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n---\n"
           "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: n}\nspec: {template: {}}\n---\n"
           "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: n}\nspec: {template: {}}\n");
  Diagnostics diags;
  analyze(config, diags);
  diags.sort();
  REQUIRE(diags.error_count() == 2);
  CHECK(diags.items()[0].format() ==
        "cfg.yaml:20:1: VirtualService/default/dup: duplicate VirtualService default/dup: first defined at "
        "cfg.yaml:3");
  CHECK(diags.items()[1].format() ==
        "kube.yaml:5:1: Namespace/default/n: duplicate Namespace default/n: first defined at kube.yaml:1");
}

TEST_CASE("findings from YAML point at the fields the decoders recorded") {
  ConfigSet config;
  Diagnostics diags;
  load_text(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  gateways: [mesh, edge]
  http:
  - route:
    - destination:
        host: reviews
        subset: v9
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - name: v1
    labels: {version: v1}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: lonely}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
)",
            "net.yaml", {}, config, diags);
  REQUIRE_MESSAGE(!diags.has_errors(), (diags.items().empty() ? "" : diags.items()[0].format()));
  const auto lines = run(config);
  INFO(dump(lines));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].starts_with("net.yaml:1:1: VirtualService/default/reviews: "));
  CHECK(lines[0].find("spec.gateways[1]: warning: Gateway default/edge does not exist") != std::string::npos);
  CHECK((lines[1].starts_with("net.yaml:9:") || lines[1].starts_with("net.yaml:10:")));
  CHECK(lines[1].find("spec.http[0].route[0].destination.subset: warning: subset \"v9\" is not defined by "
                      "DestinationRule default/reviews") != std::string::npos);
  CHECK(lines[2].starts_with("net.yaml:22:1: Gateway/default/lonely: warning: no VirtualService binds"));
}
