// Kubernetes decoders: the fields the mesh reads are decoded and type-checked;
// everything else in a Kubernetes object is ignored.
#include <doctest/doctest.h>

#include "core/model/load.h"

using namespace mesh::model;

namespace {

struct Loaded {
  ConfigSet config;
  Diagnostics diags;
  std::vector<std::string> lines;
};

Loaded load(const std::string& text) {
  Loaded out;
  LoadOptions options;
  options.keep_raw = true;
  load_text(text, "k.yaml", options, out.config, out.diags);
  for (const auto& d : out.diags.items()) out.lines.push_back(d.format());
  return out;
}

bool has(const Loaded& l, std::string_view fragment) {
  for (const auto& line : l.lines) {
    if (line.find(fragment) != std::string::npos) return true;
  }
  return false;
}

std::string dump(const Loaded& l) {
  std::string out;
  for (const auto& line : l.lines) out += line + "\n";
  return out;
}

constexpr const char* kDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  uid: 1234
spec:
  replicas: 3
  revisionHistoryLimit: 2
  selector:
    matchLabels: {app: web}
    matchExpressions: []
  template:
    metadata:
      labels: {app: web, version: v1}
      annotations: {sidecar.istio.io/inject: "true"}
    spec:
      serviceAccountName: web-sa
      containers:
      - name: app
        image: web:1
        imagePullPolicy: Always
        ports:
        - {containerPort: 8080, name: http}
        - {containerPort: 9090, protocol: UDP}
status:
  readyReplicas: 3
)";

}  // namespace

TEST_CASE("Deployment: replicas, selector and pod template; unknown fields ignored; raw kept") {
  const auto l = load(kDeployment);
  INFO(dump(l));
  CHECK(l.lines.empty());
  REQUIRE(l.config.workloads.size() == 1);
  const Workload& w = l.config.workloads[0];
  CHECK(w.meta.kind == "Deployment");
  CHECK(w.replicas == 3);
  CHECK(w.selector == Labels{{"app", "web"}});
  CHECK(w.template_.labels.at("version") == "v1");
  CHECK(w.template_.annotations.at("sidecar.istio.io/inject") == "true");
  CHECK(w.template_.service_account == "web-sa");
  REQUIRE(w.template_.containers.size() == 1);
  const Container& ct = w.template_.containers[0];
  CHECK(ct.image == "web:1");
  REQUIRE(ct.ports.size() == 2);
  CHECK(ct.ports[0].container_port == 8080);
  CHECK(ct.ports[0].name == "http");
  CHECK(ct.ports[1].protocol == "UDP");
  CHECK(w.raw["status"]["readyReplicas"].as<int>() == 3);
}

TEST_CASE("workload kinds: CronJob template, ReplicationController selector, defaults") {
  const auto l = load(R"(apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 0 * * *"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {job: nightly}}
        spec:
          containers: [{name: run, image: busybox}]
---
apiVersion: v1
kind: ReplicationController
metadata: {name: rc}
spec:
  replicas: 0
  selector: {app: old}
  template:
    metadata: {labels: {app: old}}
    spec: {containers: [{name: c}], serviceAccount: legacy}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds}
spec:
  template:
    metadata: {labels: {app: ds}}
    spec: {hostNetwork: true, containers: [{name: c}]}
)");
  INFO(dump(l));
  CHECK(l.lines.empty());
  REQUIRE(l.config.workloads.size() == 3);
  const Workload& cron = l.config.workloads[0];
  CHECK(cron.template_.labels.at("job") == "nightly");
  CHECK(cron.selector == Labels{{"job", "nightly"}});  // defaults to the template's labels
  CHECK(cron.template_.service_account == "default");
  const Workload& rc = l.config.workloads[1];
  CHECK(rc.replicas == 0);
  CHECK(rc.selector == Labels{{"app", "old"}});
  CHECK(rc.template_.service_account == "legacy");
  const Workload& ds = l.config.workloads[2];
  CHECK(ds.replicas == 1);
  CHECK(ds.template_.host_network);
}

TEST_CASE("workload type errors name the field and position") {
  const auto l = load(R"(apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: many
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: other}}
    spec:
      hostNetwork: yes please
      containers:
      - image: x
        ports: [{containerPort: 70000}, {name: BAD_NAME, containerPort: 1}, {protocol: HTTP, containerPort: 2}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: nospec}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cj}
spec: {jobTemplate: {spec: {}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: neg}
spec: {replicas: -1, template: {}}
)");
  INFO(dump(l));
  CHECK(has(l, "k.yaml:5:13: StatefulSet/default/db: spec.replicas: expected a 32-bit integer"));
  CHECK(has(l, "k.yaml:6:13: StatefulSet/default/db: spec.selector: selector app=db does not match"));
  CHECK(has(l, "k.yaml:10:20: StatefulSet/default/db: spec.template.spec.hostNetwork: expected a boolean"));
  CHECK(has(l, "k.yaml:12:9: StatefulSet/default/db: spec.template.spec.containers[0]: name: required"));
  CHECK(has(l, "spec.template.spec.containers[0].ports[0].containerPort: port number 70000 must be between"));
  CHECK(has(l, "containers[0].ports[1].name: port name \"BAD_NAME\" must be"));
  CHECK(has(l, "containers[0].ports[2].protocol: unknown value \"HTTP\" (expected one of TCP, UDP, SCTP)"));
  CHECK(has(l, "k.yaml:15:1: Deployment/default/nospec: spec: required field is missing"));
  CHECK(has(l, "CronJob/default/cj: spec.jobTemplate.spec: template: required field is missing"));
  CHECK(has(l, "ReplicaSet/default/neg: spec.replicas: replicas -1 must not be negative"));
  CHECK(l.diags.error_count() == 10);
}

TEST_CASE("Service: ports, targetPort int-or-string, type") {
  const auto l = load(R"(apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: NodePort
  clusterIP: 10.0.0.1
  sessionAffinity: None
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080, nodePort: 30080}
  - {name: grpc, port: 9090, targetPort: grpc-port, appProtocol: grpc}
  - {name: dns, port: 53, protocol: UDP}
)");
  INFO(dump(l));
  CHECK(l.lines.empty());
  REQUIRE(l.config.services.size() == 1);
  const Service& s = l.config.services[0];
  CHECK(s.type == "NodePort");
  CHECK(s.cluster_ip == "10.0.0.1");
  CHECK(s.selector.at("app") == "web");
  REQUIRE(s.ports.size() == 3);
  CHECK(s.ports[0].target_port == 8080);
  CHECK(s.ports[1].target_port_name == "grpc-port");
  CHECK(s.ports[1].app_protocol == "grpc");
  CHECK(s.ports[2].protocol == "UDP");
  CHECK(s.ports[2].pos.line == 12);
  CHECK(s.ports[2].pos.col == 5);
}

TEST_CASE("Service errors") {
  const auto l = load(R"(apiVersion: v1
kind: Service
metadata: {name: bad}
spec:
  type: Magic
  selector: [app]
  ports:
  - {port: 0, targetPort: 99999}
  - {name: a, targetPort: {x: 1}}
  - {name: a, port: 81, targetPort: -bad-}
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName}
)");
  INFO(dump(l));
  CHECK(has(l, "k.yaml:5:9: Service/default/bad: spec.type: unknown value \"Magic\""));
  CHECK(has(l, "k.yaml:6:13: Service/default/bad: spec.selector: expected a map of strings, got a list"));
  CHECK(has(
      l, "k.yaml:8:12: Service/default/bad: spec.ports[0].port: port number 0 must be between 1 and 65535"));
  CHECK(has(l, "spec.ports[0].targetPort: port number 99999 must be between"));
  CHECK(has(l, "spec.ports[1].targetPort: expected a port number or port name, got a map"));
  CHECK(has(l, "k.yaml:9:5: Service/default/bad: spec.ports[1]: port: required field is missing"));
  CHECK(has(l, "spec.ports[2].targetPort: port name \"-bad-\" must be"));
  CHECK(has(l, "spec.ports[0]: name: required when a Service has more than one port"));
  CHECK(has(l, "spec.ports[2]: duplicate port name \"a\""));
  CHECK(has(l, "Service/default/ext: spec: externalName: required when type is ExternalName"));
  CHECK(l.diags.error_count() == 10);
}

TEST_CASE("Pod: labels from metadata, spec, status; Namespace and ServiceAccount") {
  const auto l = load(R"(apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: shop
  labels: {app: web}
  annotations: {a: b}
spec:
  nodeName: node-1
  containers: [{name: app, ports: [{containerPort: 8080}]}]
  volumes: [{name: v}]
status:
  podIP: 10.1.2.3
  phase: Running
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
spec: {finalizers: [kubernetes]}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web-sa, namespace: shop}
secrets: [{name: x}]
)");
  INFO(dump(l));
  CHECK(l.lines.empty());
  REQUIRE(l.config.pods.size() == 1);
  const Pod& p = l.config.pods[0];
  CHECK(p.spec.labels.at("app") == "web");
  CHECK(p.spec.annotations.at("a") == "b");
  CHECK(p.spec.service_account == "default");
  CHECK(p.node_name == "node-1");
  CHECK(p.pod_ip == "10.1.2.3");
  CHECK(p.raw["spec"]["volumes"].IsSequence());
  REQUIRE(l.config.namespaces.size() == 1);
  CHECK(l.config.namespaces[0].meta.labels.at("istio-injection") == "enabled");
  REQUIRE(l.config.service_accounts.size() == 1);
  CHECK(l.config.service_accounts[0].meta.ns == "shop");
}

TEST_CASE("Pod errors") {
  const auto l = load(R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: {name: app}
  serviceAccountName: [x]
status: {podIP: 10.1.2}
)");
  INFO(dump(l));
  CHECK(has(l, "k.yaml:5:15: Pod/default/p: spec.containers: expected a list, got a map"));
  CHECK(has(l, "k.yaml:6:23: Pod/default/p: spec.serviceAccountName: expected a string, got a list"));
  CHECK(has(l, "k.yaml:7:17: Pod/default/p: status.podIP: \"10.1.2\" is not an IP address"));
  CHECK(l.diags.error_count() == 3);
}

TEST_CASE("EndpointSlice: service name, endpoints and ports") {
  const auto l = load(R"(apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc
  namespace: shop
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
endpoints:
- addresses: [10.1.0.1]
  conditions: {ready: true, serving: true}
  targetRef: {kind: Pod, name: web-1, namespace: shop}
  nodeName: n1
- addresses: [10.1.0.2]
  conditions: {ready: false}
ports:
- {name: http, port: 8080, protocol: TCP}
)");
  INFO(dump(l));
  CHECK(l.lines.empty());
  REQUIRE(l.config.endpoint_slices.size() == 1);
  const EndpointSlice& s = l.config.endpoint_slices[0];
  CHECK(s.service_name == "web");
  REQUIRE(s.endpoints.size() == 2);
  CHECK(s.endpoints[0].target_pod == "web-1");
  CHECK(s.endpoints[0].ready);
  CHECK_FALSE(s.endpoints[1].ready);
  REQUIRE(s.ports.size() == 1);
  CHECK(s.ports[0].port == 8080);
}

TEST_CASE("EndpointSlice errors") {
  const auto l = load(R"(apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s}
addressType: IPv6
endpoints:
- addresses: [10.1.0.1]
  conditions: {ready: sometimes}
- addresses: []
ports:
- {port: 0}
)");
  INFO(dump(l));
  CHECK(
      has(l, "k.yaml:6:15: EndpointSlice/default/s: endpoints[0].addresses[0]: \"10.1.0.1\" is not an IPv6"));
  CHECK(has(l, "k.yaml:7:23: EndpointSlice/default/s: endpoints[0].conditions.ready: expected a boolean"));
  CHECK(has(l, "k.yaml:8:3: EndpointSlice/default/s: endpoints[1]: addresses: at least one address"));
  CHECK(has(l, "k.yaml:10:10: EndpointSlice/default/s: ports[0].port: port number 0 must be between"));
  CHECK(l.diags.error_count() == 4);
}
