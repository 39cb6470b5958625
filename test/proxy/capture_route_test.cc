// Where captured connections go (proxy/capture_route.h): outbound by original
// destination (TCP listener, HTTP port table by VIP, passthrough or refusal),
// inbound by port (inbound cluster or inbound passthrough); and parsing of
// ISTIO_KUBE_APP_PROBERS for the probe server.
#include "proxy/capture_route.h"

#include <doctest/doctest.h>

#include "core/model/diag.h"
#include "core/model/load.h"
#include "core/registry/registry.h"
#include "core/translate/translate.h"
#include "proxy/app_health.h"

using namespace mesh;
using Kind = proxy::CaptureRoute::Kind;

namespace {

constexpr std::string_view kMesh = R"(
apiVersion: v1
kind: Service
metadata: {name: b, namespace: default}
spec:
  clusterIP: 10.96.0.10
  selector: {app: b}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec:
  clusterIP: 10.96.0.20
  selector: {app: db}
  ports: [{name: tcp, port: 5432}]
---
apiVersion: v1
kind: Pod
metadata: {name: b-1, namespace: default, labels: {app: b}}
spec: {containers: [{name: b, image: b}]}
status: {podIP: 10.244.0.3}
---
apiVersion: v1
kind: Pod
metadata: {name: db-1, namespace: default, labels: {app: db}}
spec: {containers: [{name: db, image: db}]}
status: {podIP: 10.244.0.4}
)";

constexpr std::string_view kRegistryOnly = R"(
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  egress: [{hosts: ["./*"]}]
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
)";

std::shared_ptr<const pc::ProxyConfig> config_for(std::string text, model::Labels labels) {
  model::ConfigSet set;
  model::Diagnostics diags;
  model::load_text(text, "mesh.yaml", model::LoadOptions{}, set, diags);
  REQUIRE_FALSE(diags.has_errors());
  registry::Registry reg = registry::Registry::build(set);
  pc::ProxyIdentity p;
  p.name = "client";
  p.labels = std::move(labels);
  return translate::translate(set, reg, p);
}

}  // namespace

TEST_CASE("outbound: a service VIP on an HTTP port goes to that port's route table") {
  auto c = config_for(std::string(kMesh), {{"app", "client"}});
  proxy::CaptureRoute r = proxy::route_outbound(*c, "10.96.0.10", 9080);
  CHECK(r.kind == Kind::kHttp);
  CHECK(r.route_table == "9080");
}

TEST_CASE("outbound: a TCP service VIP goes to its cluster") {
  auto c = config_for(std::string(kMesh), {{"app", "client"}});
  proxy::CaptureRoute r = proxy::route_outbound(*c, "10.96.0.20", 5432);
  CHECK(r.kind == Kind::kTcp);
  CHECK(r.cluster == "outbound|5432||db.default.svc.cluster.local");
}

TEST_CASE("outbound: a TCP service with a weighted tcp route splits connections by weight") {
  const std::string split = R"(
---
apiVersion: v1
kind: Service
metadata: {name: db-canary, namespace: default}
spec:
  selector: {app: db, track: canary}
  ports: [{name: tcp, port: 5432}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db, namespace: default}
spec:
  hosts: [db]
  tcp:
  - route:
    - {destination: {host: db}, weight: 90}
    - {destination: {host: db-canary}, weight: 10}
)";
  auto c = config_for(std::string(kMesh) + split, {{"app", "client"}});
  proxy::CaptureRoute r = proxy::route_outbound(*c, "10.96.0.20", 5432);
  CHECK(r.kind == Kind::kTcp);
  REQUIRE(r.tcp.weighted.size() == 2);
  int canary = 0;
  for (uint64_t random = 0; random < 100; ++random) {
    canary += r.tcp.pick(random) == "outbound|5432||db-canary.default.svc.cluster.local" ? 1 : 0;
  }
  CHECK(canary == 10);
}

TEST_CASE("outbound: unknown destinations pass through under ALLOW_ANY") {
  auto c = config_for(std::string(kMesh), {{"app", "client"}});
  CHECK(proxy::route_outbound(*c, "10.244.0.9", 7070).kind == Kind::kPassthrough);
  // A pod address on a known HTTP port is not a service address: passthrough too.
  CHECK(proxy::route_outbound(*c, "10.244.0.3", 9080).kind == Kind::kPassthrough);
}

TEST_CASE("outbound: REGISTRY_ONLY refuses unknown TCP and answers unknown HTTP with block_all") {
  auto c = config_for(std::string(kMesh) + std::string(kRegistryOnly), {{"app", "client"}});
  REQUIRE(c->outbound_policy == model::OutboundTrafficPolicy::Mode::kRegistryOnly);
  proxy::CaptureRoute r = proxy::route_outbound(*c, "10.244.0.9", 7070);
  CHECK(r.kind == Kind::kBlackHole);
  CHECK(r.cluster == "BlackHoleCluster");
  r = proxy::route_outbound(*c, "10.244.0.9", 9080);
  CHECK(r.kind == Kind::kHttp);  // the port's table ends in block_all (502), as in Istio
  CHECK(proxy::route_outbound(*c, "10.96.0.10", 9080).kind == Kind::kHttp);
}

TEST_CASE("inbound: a port a service targets goes to the inbound cluster, others pass through") {
  auto c = config_for(std::string(kMesh), {{"app", "b"}});
  proxy::CaptureRoute r = proxy::route_inbound(*c, 9080);
  CHECK(r.kind == Kind::kTcp);
  CHECK(r.cluster == "inbound|9080||");
  r = proxy::route_inbound(*c, 9999);
  CHECK(r.kind == Kind::kPassthrough);
  CHECK(r.cluster == "InboundPassthroughCluster");
}

TEST_CASE("ISTIO_KUBE_APP_PROBERS parses as mesh inject writes it") {
  std::string error;
  auto probes = proxy::parse_app_probers(
      R"({"/app-health/b/readyz":{"httpGet":{"path":"/ready","port":9080,"httpHeaders":[{"name":"x","value":"1"}]},"timeoutSeconds":3}})",
      error);
  REQUIRE(probes);
  const proxy::AppProbe& p = probes->at("/app-health/b/readyz");
  CHECK(p.port == 9080);
  CHECK(p.path == "/ready");
  CHECK(p.timeout_seconds == 3);
  REQUIRE(p.headers.size() == 1);
  CHECK(p.headers[0].first == "x");
  CHECK(proxy::parse_app_probers("", error)->empty());
}

TEST_CASE("ISTIO_KUBE_APP_PROBERS errors name the probe and the problem") {
  std::string error;
  CHECK_FALSE(proxy::parse_app_probers("{not json", error));
  CHECK(error.find("not a JSON object") != std::string::npos);
  CHECK_FALSE(proxy::parse_app_probers(R"({"/app-health/b/livez":{"httpGet":{"port":"http"}}})", error));
  CHECK(error.find("/app-health/b/livez") != std::string::npos);
  CHECK(error.find("port") != std::string::npos);
  CHECK_FALSE(proxy::parse_app_probers(R"({"/app-health/b/livez":{"tcpSocket":{"port":1}}})", error));
  CHECK(error.find("httpGet") != std::string::npos);
}
