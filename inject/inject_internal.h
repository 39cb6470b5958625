// Shared between the inject .cc files: the error type, the pod template being
// rewritten, and the settings read from its annotations.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "inject/inject.h"

namespace mesh::inject::detail {

// Thrown for bad input and caught once in inject_text, which adds file and object.
class InputError : public std::runtime_error {
 public:
  InputError(YAML::Mark mark, std::string field, const std::string& message)
      : std::runtime_error(message), mark(mark), field(std::move(field)) {}
  YAML::Mark mark;
  std::string field;
};

// Read-only lookup that never inserts (yaml-cpp's non-const [] would).
// A missing key gives an Undefined node that is safe to query further.
inline YAML::Node child(const YAML::Node& node, const std::string& key) {
  if (!node.IsDefined() || !node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node& c = node;
  YAML::Node found = c[key];
  return found.IsDefined() ? found : YAML::Node(YAML::NodeType::Undefined);
}

// The string value of map[key] ("" when absent or not a scalar).
std::string scalar_at(const YAML::Node& map, const std::string& key);

// One pod template and where it sits, for messages and workload metadata.
struct PodTemplate {
  YAML::Node meta;    // the template's metadata (created when absent)
  YAML::Node spec;    // the pod spec
  std::string field;  // path of the template, e.g. "spec.template"
  YAML::Mark mark;    // position of the template
  std::string kind;   // of the top-level object: "Deployment"
  std::string api_version;
  std::string name;  // of the top-level object (workload name)
  std::string ns;    // "" when not given
};

// Everything the annotations and labels say about how to inject.
struct Settings {
  std::vector<std::string> iptables_args;  // after "iptables"
  std::string cpu_request = "100m", memory_request = "128Mi";
  std::string cpu_limit = "2000m", memory_limit = "1024Mi";
  std::string log_level;  // "" = proxy default
  std::string image;
  bool hold_application = false;
  std::optional<long long> concurrency;
  nlohmann::ordered_json proxy_config = nlohmann::ordered_json::object();
  bool rewrite_probes = true;
};

enum class Decision { kInject, kAlreadyInjected, kOptedOut, kHostNetwork };

// Whether to inject this template at all.
Decision decide(const PodTemplate& pod);

// Reads and validates the annotations (throws InputError).
Settings read_settings(const PodTemplate& pod, const InjectOptions& options);

// Rewrites HTTP probes of the app containers onto the agent port; returns the
// originals keyed by their new path (empty when none were rewritten).
nlohmann::ordered_json rewrite_probes(PodTemplate& pod);

// Builders of the added objects (sidecar.cc).
YAML::Node make_init_container(const Settings& s);
YAML::Node make_sidecar(const PodTemplate& pod, const Settings& s, const InjectOptions& o,
                        const nlohmann::ordered_json& probers, const nlohmann::ordered_json& prometheus);
YAML::Node make_volume(const std::string& name);
std::vector<std::string> volume_names();

// Adds containers, volumes, annotations and labels (throws InputError).
void add_sidecar(PodTemplate& pod, const Settings& settings, const InjectOptions& options,
                 const nlohmann::ordered_json& probers);

}  // namespace mesh::inject::detail
