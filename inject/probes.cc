// Kubelet probes under STRICT mutual TLS: the kubelet has no mesh certificate,
// so an HTTP probe sent to the app port through the sidecar would be refused.
// Like Istio, point each HTTP probe at the agent's port 15020 under
// /app-health/<container>/<livez|readyz|startupz>, and hand the original to the
// sidecar in ISTIO_KUBE_APP_PROBERS so it can run the probe from inside the pod.
#include <fmt/format.h>

#include "inject/inject_internal.h"
#include "inject/yaml_emit.h"

namespace mesh::inject::detail {
namespace {

constexpr int kAgentPort = 15020;

// The probe's port as a number: numeric, or the name of one of the
// container's ports. nullopt when it cannot be resolved (the probe is left
// alone, as Istio does).
std::optional<long long> resolve_port(const YAML::Node& port, const YAML::Node& container) {
  if (!port.IsScalar()) return std::nullopt;
  const std::string& text = port.Scalar();
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() < 6) {
    return std::stoll(text);
  }
  YAML::Node ports = child(container, "ports");
  if (!ports.IsSequence()) return std::nullopt;
  for (const auto& p : ports) {
    if (scalar_at(p, "name") == text) {
      nlohmann::ordered_json number = to_json(child(p, "containerPort"));
      if (number.is_number_integer()) return number.get<long long>();
    }
  }
  return std::nullopt;
}

// The original probe as the sidecar needs it to run it itself.
nlohmann::ordered_json saved_probe(const YAML::Node& probe, const YAML::Node& http_get, long long port) {
  nlohmann::ordered_json get = nlohmann::ordered_json::object();
  for (const char* key : {"path", "host", "scheme"}) {
    YAML::Node v = child(http_get, key);
    if (v.IsScalar()) get[key] = v.Scalar();
  }
  get["port"] = port;
  YAML::Node headers = child(http_get, "httpHeaders");
  if (headers.IsSequence() && headers.size() > 0) get["httpHeaders"] = to_json(headers);
  nlohmann::ordered_json saved = {{"httpGet", get}};
  nlohmann::ordered_json timeout = to_json(child(probe, "timeoutSeconds"));
  if (timeout.is_number_integer()) saved["timeoutSeconds"] = timeout;
  return saved;
}

void rewrite_container(YAML::Node container, nlohmann::ordered_json& probers) {
  std::string name = scalar_at(container, "name");
  static const std::pair<const char*, const char*> kProbes[] = {
      {"livenessProbe", "livez"}, {"readinessProbe", "readyz"}, {"startupProbe", "startupz"}};
  for (const auto& [field, suffix] : kProbes) {
    YAML::Node probe = child(container, field);
    YAML::Node http_get = child(probe, "httpGet");
    if (!http_get.IsMap()) continue;
    std::optional<long long> port = resolve_port(child(http_get, "port"), container);
    if (!port || *port == kAgentPort) continue;
    std::string path = fmt::format("/app-health/{}/{}", name, suffix);
    probers[path] = saved_probe(probe, http_get, *port);
    YAML::Node rewritten(YAML::NodeType::Map);
    rewritten["path"] = string_node(path);
    rewritten["port"] = int_node(kAgentPort);
    probe["httpGet"] = rewritten;
  }
}

}  // namespace

nlohmann::ordered_json rewrite_probes(PodTemplate& pod) {
  nlohmann::ordered_json probers = nlohmann::ordered_json::object();
  YAML::Node containers = child(pod.spec, "containers");
  if (!containers.IsSequence()) return probers;
  for (auto container : containers) {
    if (container.IsMap()) rewrite_container(container, probers);
  }
  return probers;
}

}  // namespace mesh::inject::detail
