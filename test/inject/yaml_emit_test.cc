// The YAML writer keeps every value's type and text through a write/read cycle.
#include <doctest/doctest.h>

#include "inject/yaml_emit.h"

namespace mesh::inject {
namespace {

TEST_CASE("strings that look like other types are quoted; plain scalars stay plain") {
  YAML::Node n(YAML::NodeType::Map);
  const char* tricky[] = {"1337", "false", "yes",        "No",  "null", "~",    "",    "*",
                          "0755", "1e3",   "-1",         ".5",  "a: b", "x #y", "- x", "{json}",
                          "'",    "it's",  "2024-01-01", "---", "@at",  " pad"};
  for (const char* s : tricky) n[std::string("k") + s] = string_node(s);
  n["port"] = int_node(15020);
  n["enabled"] = bool_node(true);
  n["plain-dash"] = string_node("-p");
  n["image"] = string_node("docker.io/x:1.0");
  std::string text = emit_yaml(n);
  CHECK(text.find("port: 15020\n") != std::string::npos);
  CHECK(text.find("enabled: true\n") != std::string::npos);
  CHECK(text.find("plain-dash: -p\n") != std::string::npos);
  CHECK(text.find("image: docker.io/x:1.0\n") != std::string::npos);
  YAML::Node back = YAML::Load(text);
  for (const char* s : tricky) {
    YAML::Node v = back[std::string("k") + s];
    CHECK_MESSAGE(v.Scalar() == s, std::string(s));
    CHECK_MESSAGE(to_json(v).is_string(), std::string(s));  // quoted, or plain that reads as a string
  }
  CHECK_FALSE(is_string_scalar(back["port"]));
  CHECK(emit_yaml(back) == text);
}

TEST_CASE("multi-line and control characters survive") {
  YAML::Node n(YAML::NodeType::Map);
  const char* values[] = {"a\nb\n",          "a\nb",      "a\n\n",    "\nlead",
                          "  indented\nx\n", "tab\there", "bell\x07", "é ü"};
  for (size_t i = 0; i < std::size(values); ++i) n["v" + std::to_string(i)] = string_node(values[i]);
  std::string text = emit_yaml(n);
  CHECK(text.find("v0: |\n  a\n  b\n") != std::string::npos);
  CHECK(text.find("v1: |-\n") != std::string::npos);
  YAML::Node back = YAML::Load(text);
  for (size_t i = 0; i < std::size(values); ++i) CHECK(back["v" + std::to_string(i)].Scalar() == values[i]);
}

TEST_CASE("structure: sequences under their key, empty collections inline, order kept") {
  YAML::Node doc =
      YAML::Load("z: 1\na:\n- x: 1\n  y: [1, 2]\n- []\n- {}\nm: {}\nnested:\n- - 1\n  - 2\nn: ~\n");
  CHECK(emit_yaml(doc) ==
        "z: 1\na:\n- x: 1\n  y:\n  - 1\n  - 2\n- []\n- {}\nm: {}\nnested:\n-\n  - 1\n  - 2\nn: null\n");
}

TEST_CASE("JSON conversion types plain scalars and keeps quoted ones as strings") {
  YAML::Node doc = YAML::Load("{a: 1, b: '1', c: true, d: 1.5, e: x, f: null, g: [1]}");
  CHECK(to_json(doc).dump() == R"({"a":1,"b":"1","c":true,"d":1.5,"e":"x","f":null,"g":[1]})");
}

}  // namespace
}  // namespace mesh::inject
