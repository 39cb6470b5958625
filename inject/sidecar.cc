// The containers, volumes, annotations and labels `mesh inject` adds to a pod
// template, shaped like Istio's sidecar template so Istio users find what they
// expect (names, ports, mounts, env).
#include <fmt/format.h>

#include "inject/inject_internal.h"
#include "inject/yaml_emit.h"

namespace mesh::inject::detail {
namespace {

using Json = nlohmann::ordered_json;

YAML::Node map() {
  return YAML::Node(YAML::NodeType::Map);
}
YAML::Node seq() {
  return YAML::Node(YAML::NodeType::Sequence);
}

YAML::Node strings(std::initializer_list<std::string> items) {
  YAML::Node s = seq();
  for (const auto& i : items) s.push_back(string_node(i));
  return s;
}

YAML::Node string_seq(const std::vector<std::string>& items) {
  YAML::Node s = seq();
  for (const auto& i : items) s.push_back(string_node(i));
  return s;
}

struct VolumeSpec {
  const char* name;
  const char* mount_path;
};

// In mount order; the status annotation lists them in the same order.
constexpr VolumeSpec kVolumes[] = {
    {"workload-socket", "/var/run/secrets/workload-spiffe-uds"},
    {"credential-socket", "/var/run/secrets/credential-uds"},
    {"workload-certs", "/var/run/secrets/workload-spiffe-credentials"},
    {"istiod-ca-cert", "/var/run/secrets/istio"},
    {"istio-data", "/var/lib/istio/data"},
    {"istio-envoy", "/etc/istio/proxy"},
    {"istio-token", "/var/run/secrets/tokens"},
    {"istio-podinfo", "/etc/istio/pod"},
};

YAML::Node volume(const std::string& name) {
  YAML::Node v = map();
  v["name"] = string_node(name);
  if (name == "istio-envoy") {
    v["emptyDir"]["medium"] = string_node("Memory");
  } else if (name == "istiod-ca-cert") {
    v["configMap"]["name"] = string_node("istio-ca-root-cert");
  } else if (name == "istio-podinfo") {
    YAML::Node items = seq();
    for (const char* f : {"labels", "annotations"}) {
      YAML::Node item = map();
      item["fieldRef"]["fieldPath"] = string_node(std::string("metadata.") + f);
      item["path"] = string_node(f);
      items.push_back(item);
    }
    v["downwardAPI"]["items"] = items;
  } else if (name == "istio-token") {
    // A token for the mesh CA only (audience istio-ca), rotated by the kubelet.
    YAML::Node token = map();
    token["audience"] = string_node("istio-ca");
    token["expirationSeconds"] = int_node(43200);
    token["path"] = string_node("istio-token");
    YAML::Node source = map();
    source["serviceAccountToken"] = token;
    v["projected"]["sources"].push_back(source);
  } else {
    v["emptyDir"] = map();
  }
  return v;
}

YAML::Node env_value(const std::string& name, const std::string& value) {
  YAML::Node e = map();
  e["name"] = string_node(name);
  e["value"] = string_node(value);
  return e;
}

YAML::Node env_field(const std::string& name, const std::string& field_path) {
  YAML::Node e = map();
  e["name"] = string_node(name);
  e["valueFrom"]["fieldRef"]["fieldPath"] = string_node(field_path);
  return e;
}

// "kubernetes://apis/apps/v1/namespaces/ns/deployments/name", as Istio reports owners.
std::string owner(const PodTemplate& pod) {
  std::string api = pod.api_version.empty() ? "v1" : pod.api_version;
  std::string kind = pod.kind;
  for (char& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return fmt::format("kubernetes://{}/{}/namespaces/{}/{}s/{}",
                     api.find('/') == std::string::npos ? "api" : "apis", api,
                     pod.ns.empty() ? "default" : pod.ns, kind, pod.name);
}

// The app containers' names and ports, for the proxy's inbound listeners.
std::pair<std::string, Json> app_containers(const PodTemplate& pod) {
  std::string names;
  Json ports = Json::array();
  for (const auto& c : child(pod.spec, "containers")) {
    names += (names.empty() ? "" : ",") + scalar_at(c, "name");
    YAML::Node list = child(c, "ports");
    if (!list.IsSequence()) continue;
    for (const auto& p : list) ports.push_back(to_json(p));
  }
  return {names, ports};
}

YAML::Node sidecar_env(const PodTemplate& pod, const Settings& s, const Json& probers,
                       const Json& prometheus) {
  YAML::Node env = seq();
  env.push_back(env_field("POD_NAME", "metadata.name"));
  env.push_back(env_field("POD_NAMESPACE", "metadata.namespace"));
  env.push_back(env_field("INSTANCE_IP", "status.podIP"));
  env.push_back(env_field("SERVICE_ACCOUNT", "spec.serviceAccountName"));
  env.push_back(env_field("HOST_IP", "status.hostIP"));
  env.push_back(env_field("CANONICAL_SERVICE", "metadata.labels['service.istio.io/canonical-name']"));
  env.push_back(env_field("CANONICAL_REVISION", "metadata.labels['service.istio.io/canonical-revision']"));
  env.push_back(env_value("PROXY_CONFIG", s.proxy_config.dump()));
  auto [names, ports] = app_containers(pod);
  env.push_back(env_value("ISTIO_META_POD_PORTS", ports.dump()));
  env.push_back(env_value("ISTIO_META_APP_CONTAINERS", names));
  env.push_back(env_value("ISTIO_META_INTERCEPTION_MODE", "REDIRECT"));
  env.push_back(env_value("ISTIO_META_WORKLOAD_NAME", pod.name));
  env.push_back(env_value("ISTIO_META_OWNER", owner(pod)));
  if (!probers.empty()) env.push_back(env_value("ISTIO_KUBE_APP_PROBERS", probers.dump()));
  if (!prometheus.empty()) env.push_back(env_value("ISTIO_PROMETHEUS_ANNOTATIONS", prometheus.dump()));
  return env;
}

YAML::Node resources(const Settings& s) {
  YAML::Node r = map();
  r["limits"]["cpu"] = string_node(s.cpu_limit);
  r["limits"]["memory"] = string_node(s.memory_limit);
  r["requests"]["cpu"] = string_node(s.cpu_request);
  r["requests"]["memory"] = string_node(s.memory_request);
  return r;
}

YAML::Node http_probe(const char* path, int port) {
  YAML::Node p = map();
  p["httpGet"]["path"] = string_node(path);
  p["httpGet"]["port"] = int_node(port);
  return p;
}

YAML::Node exec_handler(std::initializer_list<std::string> command) {
  YAML::Node h = map();
  h["exec"]["command"] = strings(command);
  return h;
}

YAML::Node security_context(bool init) {
  YAML::Node sc = map();
  sc["allowPrivilegeEscalation"] = bool_node(false);
  if (init) sc["capabilities"]["add"] = strings({"NET_ADMIN", "NET_RAW"});
  sc["capabilities"]["drop"] = strings({"ALL"});
  sc["privileged"] = bool_node(false);
  sc["readOnlyRootFilesystem"] = bool_node(!init);
  sc["runAsGroup"] = int_node(init ? 0 : 1337);
  sc["runAsNonRoot"] = bool_node(!init);
  sc["runAsUser"] = int_node(init ? 0 : 1337);
  return sc;
}

YAML::Node init_container(const Settings& s) {
  YAML::Node c = map();
  c["name"] = string_node(kInitContainerName);
  c["image"] = string_node(s.image);
  std::vector<std::string> args = {"iptables"};
  args.insert(args.end(), s.iptables_args.begin(), s.iptables_args.end());
  c["args"] = string_seq(args);
  YAML::Node r = map();
  r["limits"]["cpu"] = string_node("100m");
  r["limits"]["memory"] = string_node("50Mi");
  r["requests"]["cpu"] = string_node("10m");
  r["requests"]["memory"] = string_node("10Mi");
  c["resources"] = r;
  c["securityContext"] = security_context(true);
  return c;
}

YAML::Node sidecar_container(const PodTemplate& pod, const Settings& s, const InjectOptions& o,
                             const Json& probers, const Json& prometheus) {
  YAML::Node c = map();
  c["name"] = string_node(kSidecarName);
  c["image"] = string_node(s.image);
  std::vector<std::string> args = {"proxy", "sidecar", "--control", o.control};
  if (s.concurrency) args.insert(args.end(), {"--concurrency", std::to_string(*s.concurrency)});
  if (!s.log_level.empty()) args.insert(args.end(), {"--log-level", s.log_level});
  c["args"] = string_seq(args);
  c["env"] = sidecar_env(pod, s, probers, prometheus);
  // Drain before the pod stops, so in-flight requests finish; with
  // holdApplicationUntilProxyStarts the app starts only once the proxy is ready.
  c["lifecycle"]["preStop"] = exec_handler({"mesh", "proxy", "drain"});
  if (s.hold_application && !o.native_sidecar)
    c["lifecycle"]["postStart"] = exec_handler({"mesh", "proxy", "wait"});
  YAML::Node port = map();
  port["containerPort"] = int_node(15090);
  port["name"] = string_node("http-envoy-prom");
  port["protocol"] = string_node("TCP");
  c["ports"].push_back(port);
  YAML::Node ready = http_probe("/healthz/ready", 15021);
  ready["failureThreshold"] = int_node(4);
  ready["periodSeconds"] = int_node(15);
  ready["timeoutSeconds"] = int_node(3);
  c["readinessProbe"] = ready;
  if (o.native_sidecar) {  // later init containers and the app wait for this
    YAML::Node startup = http_probe("/healthz/ready", 15021);
    startup["failureThreshold"] = int_node(600);
    startup["periodSeconds"] = int_node(1);
    startup["timeoutSeconds"] = int_node(3);
    c["startupProbe"] = startup;
    c["restartPolicy"] = string_node("Always");
  }
  c["resources"] = resources(s);
  c["securityContext"] = security_context(false);
  for (const auto& v : kVolumes) {
    YAML::Node m = map();
    m["mountPath"] = string_node(v.mount_path);
    m["name"] = string_node(v.name);
    c["volumeMounts"].push_back(m);
  }
  return c;
}

}  // namespace

YAML::Node make_init_container(const Settings& s) {
  return init_container(s);
}
YAML::Node make_sidecar(const PodTemplate& pod, const Settings& s, const InjectOptions& o,
                        const Json& probers, const Json& prometheus) {
  return sidecar_container(pod, s, o, probers, prometheus);
}
YAML::Node make_volume(const std::string& name) {
  return volume(name);
}
std::vector<std::string> volume_names() {
  std::vector<std::string> names;
  for (const auto& v : kVolumes) names.emplace_back(v.name);
  return names;
}

}  // namespace mesh::inject::detail
