// The push decision and sync status: a proxy gets a snapshot only when its
// translated config changed; exportTo and Sidecar scoping keep other
// namespaces' changes away; joined proxies become endpoints of the Services
// that select them; ACK/NACK give SYNCED / STALE / NACKED.
#include "control/push.h"

#include <doctest/doctest.h>

#include "control/store.h"
#include "core/model/load.h"
#include "core/xds/config_codec.h"

using namespace mesh;

namespace {

const char* kBase = R"(
apiVersion: v1
kind: Service
metadata: {name: api, namespace: team-a}
spec: {selector: {app: api}, ports: [{name: http, port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: team-b}
spec: {selector: {app: web}, ports: [{name: http, port: 9090}]}
)";

const char* kVsA = R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: team-a}
spec:
  hosts: [api]
  exportTo: ["."]
  http:
  - timeout: %TIMEOUT%
    route: [{destination: {host: api}}]
)";

model::ConfigSet load(std::string text) {
  model::ConfigSet c;
  model::Diagnostics d;
  model::load_text(text, "test.yaml", model::LoadOptions{}, c, d);
  for (const auto& item : d.items()) INFO(item.format());
  REQUIRE_FALSE(d.has_errors());
  return c;
}

std::string vs_with_timeout(const std::string& t) {
  std::string s = kVsA;
  s.replace(s.find("%TIMEOUT%"), 9, t);
  return s;
}

control::ProxyRecord proxy(const std::string& name, const std::string& ns, const std::string& app,
                           const std::string& ip) {
  control::ProxyRecord r;
  r.hello.name = name;
  r.hello.ns = ns;
  r.hello.labels = {{"app", app}};
  r.hello.ip = ip;
  r.hello.ports = {{"http", app == "api" ? 8080u : 9090u}};
  r.id = name + "." + ns;
  return r;
}

// What the control plane does on each change: sources merged, registry rebuilt.
struct Mesh {
  model::ConfigSet files;
  std::vector<control::ProxyRecord*> proxies;
  model::ConfigSet config;
  registry::Registry reg;
  void rebuild() {
    config = files;
    for (auto* p : proxies) config.pods.push_back(control::pod_of(p->hello));
    reg = registry::Registry::build(config);
  }
  // Pushes version `v`; returns the ids that got a snapshot.
  std::vector<std::string> push(uint64_t v) {
    rebuild();
    std::vector<std::string> got;
    for (auto* p : proxies) {
      if (control::plan_push(config, reg, *p, v, 0)) got.push_back(p->id);
    }
    return got;
  }
};

}  // namespace

TEST_CASE("a change is pushed only to the proxies whose config it changes") {
  control::ProxyRecord a = proxy("api-1", "team-a", "api", "10.0.0.1");
  control::ProxyRecord b = proxy("web-1", "team-b", "web", "10.0.0.2");
  Mesh mesh;
  mesh.files = load(std::string(kBase) + "---\n" + vs_with_timeout("1s"));
  mesh.proxies = {&a, &b};
  CHECK(mesh.push(1) == std::vector<std::string>{"api-1.team-a", "web-1.team-b"});
  CHECK(mesh.push(2).empty());  // nothing changed
  // The VirtualService is exported to its own namespace only: team-b never sees it.
  mesh.files = load(std::string(kBase) + "---\n" + vs_with_timeout("5s"));
  CHECK(mesh.push(3) == std::vector<std::string>{"api-1.team-a"});
  CHECK(a.sent_version == 3);
  CHECK(b.sent_version == 1);
  CHECK(control::config_json(mesh.config, mesh.reg, a).find("\"timeout\":\"5s\"") != std::string::npos);
  CHECK(control::config_json(mesh.config, mesh.reg, a).starts_with("{\"version\":3,"));
}

TEST_CASE("a joining proxy becomes an endpoint of the Service that selects it") {
  control::ProxyRecord a = proxy("api-1", "team-a", "api", "10.0.0.1");
  control::ProxyRecord b = proxy("web-1", "team-b", "web", "10.0.0.2");
  Mesh mesh;
  mesh.files = load(kBase);
  mesh.proxies = {&b};
  mesh.push(1);
  CHECK(control::config_json(mesh.config, mesh.reg, b).find("10.0.0.1") == std::string::npos);
  mesh.proxies = {&a, &b};
  CHECK(mesh.push(2) == std::vector<std::string>{"api-1.team-a", "web-1.team-b"});
  std::string error;
  auto cfg = xds::decode_config(control::config_json(mesh.config, mesh.reg, b), error);
  REQUIRE(cfg);
  const pc::Cluster* api = cfg->find_cluster("outbound|8080||api.team-a.svc.cluster.local");
  REQUIRE(api);
  REQUIRE(api->endpoints.size() == 1);
  CHECK(api->endpoints[0].address == "10.0.0.1");
  CHECK(api->endpoints[0].port == 8080);
  CHECK(api->endpoints[0].pod == "api-1");
}

TEST_CASE("a Sidecar egress scope hides other namespaces' changes") {
  control::ProxyRecord b = proxy("web-1", "team-b", "web", "10.0.0.2");
  const std::string sidecar = R"(
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: team-b}
spec: {egress: [{hosts: ["./*"]}]}
)";
  Mesh mesh;
  mesh.files = load(std::string(kBase) + "---\n" + sidecar);
  mesh.proxies = {&b};
  mesh.push(1);
  // A new service in team-a is outside team-b's egress scope.
  mesh.files = load(std::string(kBase) + "---\n" + sidecar + R"(---
apiVersion: v1
kind: Service
metadata: {name: extra, namespace: team-a}
spec: {selector: {app: extra}, ports: [{name: http, port: 7070}]}
)");
  CHECK(mesh.push(2).empty());
}

TEST_CASE("sync status follows ACK and NACK of the version last sent") {
  control::ProxyRecord r = proxy("api-1", "team-a", "api", "10.0.0.1");
  CHECK(r.status() == control::SyncStatus::kNotSent);
  r.sent_version = 4;
  CHECK(r.status() == control::SyncStatus::kStale);
  r.on_ack(4, 10);
  CHECK(r.status() == control::SyncStatus::kSynced);
  r.sent_version = 5;
  CHECK(r.status() == control::SyncStatus::kStale);
  r.on_nack(5, "route table 9999 missing");
  CHECK(r.status() == control::SyncStatus::kNacked);
  CHECK(r.nack_error == "route table 9999 missing");
  CHECK(std::string(control::sync_status_name(r.status())) == "NACKED");
  r.sent_version = 6;  // a later snapshot replaces the rejected one
  r.on_ack(6, 20);
  CHECK(r.status() == control::SyncStatus::kSynced);
}

TEST_CASE("only a pod some Service selects changes other proxies when it joins or leaves") {
  model::ConfigSet config = load(kBase);
  CHECK(control::is_endpoint(config, proxy("api-1", "team-a", "api", "10.0.0.1").hello));
  CHECK_FALSE(control::is_endpoint(config, proxy("api-1", "team-b", "api", "10.0.0.1").hello));  // other ns
  CHECK_FALSE(control::is_endpoint(config, proxy("tool-1", "team-a", "tool", "10.0.0.3").hello));
  control::ProxyRecord r = proxy("api-1", "team-a", "api", "10.0.0.1");
  auto reg = registry::Registry::build(config);
  CHECK(r.dirty);
  CHECK(control::plan_push(config, reg, r, 1, 0));
  CHECK_FALSE(r.dirty);
}
