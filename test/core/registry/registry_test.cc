// The registry built from C++ objects: hostnames, VIPs, protocols, synthetic
// pods, endpoints by selector / EndpointSlice / ServiceEntry, lookups.
#include "core/registry/registry.h"

#include <doctest/doctest.h>

using namespace mesh;
using registry::Protocol;

namespace {

model::Meta meta(std::string kind, std::string name, std::string ns = "default") {
  model::Meta m;
  m.kind = std::move(kind);
  m.name = std::move(name);
  m.ns = std::move(ns);
  return m;
}

model::Service service(std::string name, model::Labels selector, std::vector<model::KubeServicePort> ports) {
  model::Service s;
  s.meta = meta("Service", std::move(name));
  s.selector = std::move(selector);
  s.ports = std::move(ports);
  return s;
}

model::Workload deployment(std::string name, int replicas, model::Labels labels) {
  model::Workload w;
  w.meta = meta("Deployment", std::move(name));
  w.replicas = replicas;
  w.selector = labels;
  w.template_.labels = std::move(labels);
  w.template_.service_account = "sa-" + w.meta.name;
  return w;
}

model::KubeServicePort port(std::string name, uint32_t number, uint32_t target = 0) {
  model::KubeServicePort p;
  p.name = std::move(name);
  p.port = number;
  p.target_port = target;
  return p;
}

}  // namespace

TEST_CASE("protocols come from appProtocol or the port name prefix") {
  CHECK(registry::protocol_from_name("http") == Protocol::kHttp);
  CHECK(registry::protocol_from_name("http-web") == Protocol::kHttp);
  CHECK(registry::protocol_from_name("http2") == Protocol::kHttp2);
  CHECK(registry::protocol_from_name("grpc-api") == Protocol::kGrpc);
  CHECK(registry::protocol_from_name("TCP") == Protocol::kTcp);
  CHECK(registry::protocol_from_name("httpx") == Protocol::kUnknown);
  CHECK(registry::protocol_from_name("") == Protocol::kUnknown);
  model::ConfigSet c;
  auto p = port("web", 80);
  p.app_protocol = "http";
  c.services.push_back(service("a", {}, {p}));
  CHECK(registry::Registry::build(c).services()[0].ports[0].protocol == Protocol::kHttp);
}

TEST_CASE("short names resolve in a namespace; FQDNs, IPs and * stay") {
  CHECK(registry::resolve_host("reviews", "default") == "reviews.default.svc.cluster.local");
  CHECK(registry::resolve_host("reviews.other", "default") == "reviews.other");
  CHECK(registry::resolve_host("10.0.0.1", "default") == "10.0.0.1");
  CHECK(registry::resolve_host("*", "default") == "*");
  CHECK(registry::host_matches("*.example.com", "a.example.com"));
  CHECK_FALSE(registry::host_matches("*.example.com", "example.com"));
  CHECK(registry::exported_to({}, "a", "b"));
  CHECK(registry::exported_to({"."}, "a", "a"));
  CHECK_FALSE(registry::exported_to({"."}, "a", "b"));
  CHECK_FALSE(registry::exported_to({"~"}, "a", "a"));
}

TEST_CASE("deployments get synthetic pods with IPs, selected as endpoints") {
  model::ConfigSet c;
  c.services.push_back(service("reviews", {{"app", "reviews"}}, {port("http", 9080)}));
  c.workloads.push_back(deployment("reviews-v1", 2, {{"app", "reviews"}, {"version", "v1"}}));
  c.workloads.push_back(deployment("ratings-v1", 1, {{"app", "ratings"}}));
  const auto reg = registry::Registry::build(c);
  REQUIRE(reg.workloads().size() == 3);
  const registry::Workload* pod = reg.find_workload("default", "reviews-v1-1");
  REQUIRE(pod);
  CHECK(pod->kind == registry::Workload::Kind::kSyntheticPod);
  CHECK(pod->ip.starts_with("10.244."));
  CHECK(pod->service_account == "sa-reviews-v1");
  const registry::Service* s = reg.lookup("reviews", "default");
  REQUIRE(s);
  CHECK(s->hostname == "reviews.default.svc.cluster.local");
  CHECK(s->vip.starts_with("10.96."));
  CHECK(s->vip_allocated);
  REQUIRE(s->ports[0].endpoints.size() == 2);
  CHECK(reg.workload_of(s->ports[0].endpoints[0])->labels.at("version") == "v1");
  CHECK(s->ports[0].endpoints[0].port == 9080);
  CHECK(reg.find_by_vip(s->vip, 9080) == s);
  CHECK(reg.find_by_vip(s->vip, 1234) == nullptr);
  // Deterministic: building again gives the same addresses.
  const auto again = registry::Registry::build(c);
  CHECK(again.lookup("reviews", "default")->vip == s->vip);
  CHECK(again.find_workload("default", "reviews-v1-1")->ip == pod->ip);
}

TEST_CASE("a clusterIP is kept; targetPort by number and by container port name") {
  model::ConfigSet c;
  auto named = port("http", 80);
  named.target_port_name = "web";
  auto s = service("web", {{"app", "web"}}, {named, port("grpc", 90, 9090)});
  s.cluster_ip = "10.0.0.7";
  c.services.push_back(s);
  auto d = deployment("web", 1, {{"app", "web"}});
  d.template_.containers.push_back({"web", "img", {{"web", 8080, "TCP"}}});
  c.workloads.push_back(d);
  const auto reg = registry::Registry::build(c);
  const registry::Service* svc = reg.find("web.default.svc.cluster.local");
  REQUIRE(svc);
  CHECK(svc->vip == "10.0.0.7");
  CHECK(svc->ports[0].endpoints.at(0).port == 8080);
  CHECK(svc->ports[1].endpoints.at(0).port == 9090);
}

TEST_CASE("real pods replace synthetic ones and namespaces separate selectors") {
  model::ConfigSet c;
  c.services.push_back(service("a", {{"app", "a"}}, {port("http", 80)}));
  c.workloads.push_back(deployment("a", 3, {{"app", "a"}}));
  model::Pod pod;
  pod.meta = meta("Pod", "a-xyz");
  pod.spec.labels = {{"app", "a"}};
  pod.pod_ip = "192.168.1.5";
  c.pods.push_back(pod);
  model::Pod other = pod;
  other.meta.ns = "other";
  other.pod_ip = "192.168.1.6";
  c.pods.push_back(other);
  const auto reg = registry::Registry::build(c);
  const auto& eps = reg.find("a.default.svc.cluster.local")->ports[0].endpoints;
  REQUIRE(eps.size() == 1);
  CHECK(eps[0].address == "192.168.1.5");
}

TEST_CASE("EndpointSlices replace selector matching") {
  model::ConfigSet c;
  c.services.push_back(service("a", {{"app", "a"}}, {port("http", 80)}));
  c.workloads.push_back(deployment("a", 2, {{"app", "a"}}));
  model::EndpointSlice slice;
  slice.meta = meta("EndpointSlice", "a-abc");
  slice.service_name = "a";
  slice.endpoints.push_back({{"10.1.1.1"}, false, ""});
  slice.ports.push_back({"http", 8000, "TCP"});
  c.endpoint_slices.push_back(slice);
  const auto reg = registry::Registry::build(c);
  const auto& eps = reg.find("a.default.svc.cluster.local")->ports[0].endpoints;
  REQUIRE(eps.size() == 1);
  CHECK(eps[0].address == "10.1.1.1");
  CHECK(eps[0].port == 8000);
  CHECK_FALSE(eps[0].ready);
}

TEST_CASE("ServiceEntries: hosts, addresses, inline endpoints, DNS and workloadSelector") {
  model::ConfigSet c;
  model::ServiceEntry se;
  se.meta = meta("ServiceEntry", "ext");
  se.hosts = {"api.example.com", "www.example.com"};
  se.addresses = {"240.0.0.1"};
  se.ports = {{443, "TLS", "tls", 0}};
  se.resolution = model::ServiceEntry::Resolution::kDns;
  c.service_entries.push_back(se);
  model::ServiceEntry st = se;
  st.meta.name = "static";
  st.hosts = {"db.internal"};
  st.addresses = {};
  st.ports = {{5432, "TCP", "pg", 0}};
  st.resolution = model::ServiceEntry::Resolution::kStatic;
  st.location = model::ServiceEntry::Location::kMeshInternal;
  st.endpoints = {{"10.9.9.9", {{"pg", 15432}}, {{"role", "db"}}, "", "", 0, ""}};
  c.service_entries.push_back(st);
  model::ServiceEntry sel = st;
  sel.meta.name = "vm";
  sel.hosts = {"vm.internal"};
  sel.endpoints.clear();
  sel.workload_selector = model::WorkloadSelector{{{"app", "vm"}}};
  c.service_entries.push_back(sel);
  model::WorkloadEntry we;
  we.meta = meta("WorkloadEntry", "vm-1");
  we.spec.address = "172.16.0.2";
  we.spec.labels = {{"app", "vm"}};
  c.workload_entries.push_back(we);
  const auto reg = registry::Registry::build(c);
  const registry::Service* api = reg.find("api.example.com");
  REQUIRE(api);
  CHECK(api->origin == registry::Service::Origin::kServiceEntry);
  CHECK(api->mesh_external);
  CHECK(api->vip == "240.0.0.1");
  CHECK(api->ports[0].protocol == Protocol::kTls);
  REQUIRE(api->ports[0].endpoints.size() == 1);
  CHECK(api->ports[0].endpoints[0].address == "api.example.com");  // DNS: the host itself
  CHECK(reg.find("www.example.com"));
  const registry::Service* db = reg.find("db.internal");
  REQUIRE(db);
  CHECK_FALSE(db->mesh_external);
  REQUIRE(db->ports[0].endpoints.size() == 1);
  CHECK(db->ports[0].endpoints[0].address == "10.9.9.9");
  CHECK(db->ports[0].endpoints[0].port == 15432);
  const registry::Service* vm = reg.find("vm.internal");
  REQUIRE(vm);
  REQUIRE(vm->ports[0].endpoints.size() == 1);
  CHECK(vm->ports[0].endpoints[0].address == "172.16.0.2");
}

TEST_CASE("Kubernetes services win over ServiceEntries for the same host; exportTo annotation is read") {
  model::ConfigSet c;
  auto s = service("a", {}, {port("http", 80)});
  s.meta.annotations["networking.istio.io/exportTo"] = ".,team";
  c.services.push_back(s);
  model::ServiceEntry se;
  se.meta = meta("ServiceEntry", "dup");
  se.hosts = {"a.default.svc.cluster.local"};
  se.ports = {{80, "HTTP", "http", 0}};
  c.service_entries.push_back(se);
  const auto reg = registry::Registry::build(c);
  const registry::Service* found = reg.find("a.default.svc.cluster.local");
  REQUIRE(found);
  CHECK(found->origin == registry::Service::Origin::kKubernetes);
  CHECK(found->export_to == std::vector<std::string>{".", "team"});
  CHECK(reg.services_on_port(80).size() == 2);
}
