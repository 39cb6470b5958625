// What a pod template's annotations and labels ask for (Istio's names), checked
// here so a bad value fails `mesh inject` with its position instead of failing
// the init container later in the cluster; and the HTTP probe rewrite.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <re2/re2.h>

#include "inject/inject_internal.h"
#include "inject/iptables.h"
#include "inject/yaml_emit.h"

namespace mesh::inject::detail {
namespace {

constexpr const char* kInjectKey = "sidecar.istio.io/inject";

bool is_false(std::string value) {
  std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
  return value == "false" || value == "no" || value == "n" || value == "off";
}

struct Annotations {
  const PodTemplate& pod;
  YAML::Node map;

  bool has(const std::string& key) const { return child(map, key).IsDefined(); }
  std::string get(const std::string& key, const std::string& fallback = "") const {
    YAML::Node n = child(map, key);
    return n.IsScalar() ? n.Scalar() : fallback;
  }
  [[noreturn]] void fail(const std::string& key, const std::string& message) const {
    YAML::Node n = child(map, key);
    YAML::Mark at = n.IsDefined() && !n.Mark().is_null() ? n.Mark() : pod.mark;
    std::string field = (pod.field.empty() ? "" : pod.field + ".") + "metadata.annotations[" + key + "]";
    throw InputError(at, field, message);
  }
  void check(const std::string& key, const std::optional<std::string>& err) const {
    if (err) fail(key, *err);
  }
};

// traffic.sidecar.istio.io/* -> the init container's `mesh iptables` flags.
std::vector<std::string> iptables_args(const Annotations& a) {
  const std::string prefix = "traffic.sidecar.istio.io/";
  std::string include_cidrs = a.get(prefix + "includeOutboundIPRanges", "*");
  std::string exclude_cidrs = a.get(prefix + "excludeOutboundIPRanges");
  std::string include_in = a.get(prefix + "includeInboundPorts", "*");
  std::string exclude_in = a.get(prefix + "excludeInboundPorts");
  std::string include_out = a.get(prefix + "includeOutboundPorts");
  std::string exclude_out = a.get(prefix + "excludeOutboundPorts");
  std::vector<Cidr> cidrs;
  std::vector<uint16_t> ports;
  if (include_cidrs != "*")
    a.check(prefix + "includeOutboundIPRanges", parse_cidr_list(include_cidrs, cidrs));
  a.check(prefix + "excludeOutboundIPRanges", parse_cidr_list(exclude_cidrs, cidrs));
  if (include_in != "*") a.check(prefix + "includeInboundPorts", parse_port_list(include_in, ports));
  a.check(prefix + "includeOutboundPorts", parse_port_list(include_out, ports));
  a.check(prefix + "excludeOutboundPorts", parse_port_list(exclude_out, ports));
  // The agent's ports are never captured inbound, whatever the user adds.
  std::vector<uint16_t> excluded = {15090, 15021, 15020};
  a.check(prefix + "excludeInboundPorts", parse_port_list(exclude_in, excluded));
  std::string excluded_text;
  for (uint16_t p : excluded) excluded_text += (excluded_text.empty() ? "" : ",") + std::to_string(p);
  std::vector<std::string> args = {"-p", "15001",       "-z", "15006",    "-u", "1337",
                                   "-g", "1337",        "-m", "REDIRECT", "-i", include_cidrs,
                                   "-x", exclude_cidrs, "-b", include_in, "-d", excluded_text};
  if (!include_out.empty()) args.insert(args.end(), {"-q", include_out});
  if (!exclude_out.empty()) args.insert(args.end(), {"-o", exclude_out});
  return args;
}

void read_resources(const Annotations& a, Settings& s) {
  // A Kubernetes resource.Quantity: "100m", "0.5", "128Mi", "1e3", "2G".
  static const RE2 kQuantity("[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|[numkMGTPE]|[KMGTPE]i)?");
  struct {
    const char* key;
    std::string* into;
  } const fields[] = {{"sidecar.istio.io/proxyCPU", &s.cpu_request},
                      {"sidecar.istio.io/proxyMemory", &s.memory_request},
                      {"sidecar.istio.io/proxyCPULimit", &s.cpu_limit},
                      {"sidecar.istio.io/proxyMemoryLimit", &s.memory_limit}};
  for (const auto& f : fields) {
    if (!a.has(f.key)) continue;
    std::string v = a.get(f.key);
    if (!RE2::FullMatch(v, kQuantity)) a.fail(f.key, fmt::format("invalid resource quantity \"{}\"", v));
    *f.into = v;
  }
}

void read_proxy_config(const Annotations& a, Settings& s) {
  const std::string key = "proxy.istio.io/config";
  if (!a.has(key)) return;
  YAML::Node config;
  try {
    config = YAML::Load(a.get(key));
  } catch (const YAML::ParserException& e) {
    a.fail(key, fmt::format("not valid YAML (line {} of the value): {}", e.mark.line + 1, e.msg));
  }
  if (config.IsNull()) return;
  if (!config.IsMap()) a.fail(key, "expected a ProxyConfig object");
  s.proxy_config = to_json(config);
  if (auto hold = s.proxy_config.find("holdApplicationUntilProxyStarts"); hold != s.proxy_config.end()) {
    if (!hold->is_boolean()) a.fail(key, "holdApplicationUntilProxyStarts: expected true or false");
    s.hold_application = hold->get<bool>();
  }
  if (auto c = s.proxy_config.find("concurrency"); c != s.proxy_config.end()) {
    if (!c->is_number_integer() || c->get<long long>() < 0)
      a.fail(key, "concurrency: expected a whole number >= 0");
    s.concurrency = c->get<long long>();
  }
}

}  // namespace

Decision decide(const PodTemplate& pod) {
  YAML::Node annotations = child(pod.meta, "annotations");
  if (child(annotations, std::string(kStatusAnnotation)).IsDefined()) return Decision::kAlreadyInjected;
  if (is_false(scalar_at(annotations, kInjectKey)) ||
      is_false(scalar_at(child(pod.meta, "labels"), kInjectKey))) {
    return Decision::kOptedOut;
  }
  if (scalar_at(pod.spec, "hostNetwork") == "true") return Decision::kHostNetwork;
  return Decision::kInject;
}

Settings read_settings(const PodTemplate& pod, const InjectOptions& options) {
  YAML::Node map = child(pod.meta, "annotations");
  std::string meta_field = pod.field.empty() ? "metadata" : pod.field + ".metadata";
  if (map.IsDefined() && !map.IsNull() && !map.IsMap()) {
    throw InputError(map.Mark(), meta_field + ".annotations", "expected an object");
  }
  Annotations a{pod, map};
  Settings s;
  s.iptables_args = iptables_args(a);
  read_resources(a, s);
  static const char* const kLevels[] = {"trace", "debug", "info",     "warning",
                                        "warn",  "error", "critical", "off"};
  s.log_level = a.get("sidecar.istio.io/logLevel");
  if (!s.log_level.empty() &&
      std::find(std::begin(kLevels), std::end(kLevels), s.log_level) == std::end(kLevels)) {
    a.fail("sidecar.istio.io/logLevel",
           fmt::format("unknown log level \"{}\" (trace, debug, info, warning, error, critical, off)",
                       s.log_level));
  }
  s.image = a.get("sidecar.istio.io/proxyImage", options.image);
  s.rewrite_probes = !is_false(a.get("sidecar.istio.io/rewriteAppHTTPProbers", "true"));
  read_proxy_config(a, s);
  return s;
}

}  // namespace mesh::inject::detail
