// ProxyConfig as YAML for `mesh routes -o yaml`: a small emitter over the JSON
// dump parsed back into a tree, so both forms carry the same fields in the same
// order. People read YAML; the extra parse does not matter there.
#include <strings.h>

#include <cctype>
#include <cstring>

#include <nlohmann/json.hpp>

#include "core/translate/translate.h"

namespace mesh::translate {
namespace {

using J = nlohmann::ordered_json;

// YAML scalars: JSON's quoting is valid YAML; plain text only when unambiguous.
std::string yaml_scalar(const J& j) {
  if (!j.is_string()) return j.dump();
  const std::string& s = j.get_ref<const std::string&>();
  static const char* kReserved[] = {"", "true", "false", "null", "yes", "no", "on", "off", "~", "y", "n"};
  bool plain = std::isalpha(static_cast<unsigned char>(s.empty() ? ' ' : s[0])) || s[0] == '/';
  for (const char* r : kReserved) plain = plain && strcasecmp(s.c_str(), r) != 0;
  for (char ch : s)
    plain = plain && (std::isalnum(static_cast<unsigned char>(ch)) || std::strchr("/._-|", ch));
  return plain ? s : j.dump();
}

bool is_empty_collection(const J& j) {
  return (j.is_array() || j.is_object()) && j.empty();
}

void emit_yaml(const J& j, int indent, std::string& out) {
  const std::string pad(indent, ' ');
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      out += pad + yaml_scalar(J(key)) + ":";
      if (is_empty_collection(value)) {
        out += value.is_array() ? " []\n" : " {}\n";
      } else if (value.is_object() || value.is_array()) {
        out += "\n";
        emit_yaml(value, value.is_array() ? indent : indent + 2, out);
      } else {
        out += " " + yaml_scalar(value) + "\n";
      }
    }
    return;
  }
  for (const auto& item : j) {
    if (is_empty_collection(item)) {
      out += pad + "- " + (item.is_array() ? "[]" : "{}") + "\n";
    } else if (item.is_object() || item.is_array()) {
      // The first key goes on the dash line: emit nested, then replace its indent with "- ".
      std::string nested;
      emit_yaml(item, indent + 2, nested);
      out += pad + "- " + nested.substr(indent + 2);
    } else {
      out += pad + "- " + yaml_scalar(item) + "\n";
    }
  }
}

}  // namespace

std::string to_yaml(const pc::ProxyConfig& config) {
  std::string out;
  emit_yaml(J::parse(to_json(config, -1)), 0, out);
  return out;
}

}  // namespace mesh::translate
