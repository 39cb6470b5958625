// Writing yaml-cpp nodes back as block YAML, the way kubectl prints manifests,
// without changing what any value means. yaml-cpp's own emitter writes a string
// like "1337" or "false" unquoted, which Kubernetes then reads as a number or a
// bool; here a scalar keeps its type: one that was plain in the input stays
// plain, a quoted one (or one we created as a string) is quoted when plain
// would read differently.
#pragma once

#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

namespace mesh::inject {

// One document as block YAML (no "---"), ending with a newline.
std::string emit_yaml(const YAML::Node& node);

// Scalars that are strings whatever they look like.
YAML::Node string_node(std::string_view value);
// Scalars with their YAML type (number, bool) kept: written plain.
YAML::Node plain_node(std::string_view value);
YAML::Node int_node(long long value);
YAML::Node bool_node(bool value);

// True for a string-typed scalar (quoted in the input or made by string_node).
bool is_string_scalar(const YAML::Node& node);

// The node as JSON: plain scalars become numbers, bools and null where they
// read as such, maps keep their order.
nlohmann::ordered_json to_json(const YAML::Node& node);

}  // namespace mesh::inject
