// Putting the sidecar into a pod template: check the parts we touch, place the
// containers (init first, so capture is set up before anything else runs), add
// volumes, and record what was added in the status annotation, which also makes
// a second injection a no-op.
#include <fmt/format.h>

#include "inject/inject_internal.h"
#include "inject/yaml_emit.h"

namespace mesh::inject::detail {
namespace {

using Json = nlohmann::ordered_json;

std::string field_of(const PodTemplate& pod, const std::string& rest) {
  return pod.field.empty() ? rest : pod.field + "." + rest;
}

YAML::Mark mark_or(const YAML::Node& n, const YAML::Mark& fallback) {
  return n.IsDefined() && !n.Mark().is_null() ? n.Mark() : fallback;
}

// A list of named objects (containers, volumes) that may be absent.
void check_named_list(const PodTemplate& pod, const std::string& key, bool required,
                      const std::vector<std::string>& reserved) {
  YAML::Node list = child(pod.spec, key);
  std::string field = field_of(pod, "spec." + key);
  if (!list.IsDefined() || list.IsNull()) {
    if (required) throw InputError(pod.spec.Mark(), field, "required field is missing");
    return;
  }
  if (!list.IsSequence()) throw InputError(mark_or(list, pod.mark), field, "expected a list");
  if (required && list.size() == 0) throw InputError(mark_or(list, pod.mark), field, "must not be empty");
  for (size_t i = 0; i < list.size(); ++i) {
    std::string item_field = fmt::format("{}[{}]", field, i);
    YAML::Node item = list[i];
    if (!item.IsMap()) throw InputError(mark_or(item, pod.mark), item_field, "expected an object");
    std::string name = scalar_at(item, "name");
    if (name.empty())
      throw InputError(mark_or(item, pod.mark), item_field + ".name", "required field is missing");
    if (std::find(reserved.begin(), reserved.end(), name) != reserved.end()) {
      throw InputError(mark_or(item, pod.mark), item_field + ".name",
                       fmt::format("\"{}\" is reserved for the injected sidecar", name));
    }
  }
}

YAML::Node ensure_map(YAML::Node parent, const std::string& key, const std::string& field,
                      const YAML::Mark& at) {
  YAML::Node n = child(parent, key);
  if (n.IsMap()) return n;
  if (n.IsDefined() && !n.IsNull()) throw InputError(mark_or(n, at), field, "expected an object");
  parent[key] = YAML::Node(YAML::NodeType::Map);
  return child(parent, key);
}

// `first` items, then what the list held.
void prepend(YAML::Node spec, const std::string& key, const std::vector<YAML::Node>& first) {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const auto& n : first) list.push_back(n);
  for (const auto& n : child(spec, key)) list.push_back(n);
  spec[key] = list;
}

void append(YAML::Node spec, const std::string& key, const std::vector<YAML::Node>& last) {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const auto& n : child(spec, key)) list.push_back(n);
  for (const auto& n : last) list.push_back(n);
  spec[key] = list;
}

// Scrape the merged metrics on the agent port. An app that has its own
// prometheus.io annotations keeps them for the sidecar to merge (returned),
// unless it opted out of scraping.
Json set_prometheus(YAML::Node annotations) {
  Json original = Json::object();
  for (const char* k : {"scrape", "path", "port"}) {
    std::string key = std::string("prometheus.io/") + k;
    if (child(annotations, key).IsDefined()) original[k] = scalar_at(annotations, key);
  }
  if (original.contains("scrape") && original["scrape"] == "false") return Json::object();
  annotations["prometheus.io/scrape"] = string_node("true");
  annotations["prometheus.io/port"] = string_node("15020");
  annotations["prometheus.io/path"] = string_node("/stats/prometheus");
  return original;
}

void set_label_if_absent(YAML::Node labels, const std::string& key, const std::string& value) {
  if (!child(labels, key).IsDefined()) labels[key] = string_node(value);
}

std::string first_label(const YAML::Node& labels, std::initializer_list<const char*> keys,
                        const std::string& fallback) {
  for (const char* k : keys) {
    std::string v = scalar_at(labels, k);
    if (!v.empty()) return v;
  }
  return fallback;
}

std::string status_json(const InjectOptions& o) {
  Json init = Json::array({std::string(kInitContainerName)});
  Json containers = Json::array();
  (o.native_sidecar ? init : containers).push_back(std::string(kSidecarName));
  Json status = {{"initContainers", init},
                 {"containers", containers},
                 {"volumes", volume_names()},
                 {"imagePullSecrets", nullptr},
                 {"revision", "default"}};
  return status.dump();
}

}  // namespace

void add_sidecar(PodTemplate& pod, const Settings& s, const InjectOptions& o, const Json& probers) {
  std::vector<std::string> reserved = {std::string(kInitContainerName), std::string(kSidecarName)};
  check_named_list(pod, "containers", true, reserved);
  check_named_list(pod, "initContainers", false, reserved);
  check_named_list(pod, "volumes", false, volume_names());
  std::string meta_field = field_of(pod, "metadata");
  YAML::Node annotations = ensure_map(pod.meta, "annotations", meta_field + ".annotations", pod.mark);
  YAML::Node labels = ensure_map(pod.meta, "labels", meta_field + ".labels", pod.mark);
  Json prometheus = set_prometheus(annotations);
  YAML::Node sidecar = make_sidecar(pod, s, o, probers, prometheus);
  std::vector<YAML::Node> inits = {make_init_container(s)};
  if (o.native_sidecar) {
    inits.push_back(sidecar);
  } else if (s.hold_application) {
    prepend(pod.spec, "containers", {sidecar});
  } else {
    append(pod.spec, "containers", {sidecar});
  }
  prepend(pod.spec, "initContainers", inits);
  std::vector<YAML::Node> volumes;
  for (const auto& name : volume_names()) volumes.push_back(make_volume(name));
  append(pod.spec, "volumes", volumes);
  annotations[std::string(kStatusAnnotation)] = string_node(status_json(o));
  set_label_if_absent(labels, "security.istio.io/tlsMode", "istio");
  set_label_if_absent(labels, "service.istio.io/canonical-name",
                      first_label(labels, {"app.kubernetes.io/name", "app"}, pod.name));
  set_label_if_absent(labels, "service.istio.io/canonical-revision",
                      first_label(labels, {"app.kubernetes.io/version", "version"}, "latest"));
}

}  // namespace mesh::inject::detail
