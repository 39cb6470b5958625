// Block YAML writer. Sequences sit at their key's indentation ("- " under the
// key), like kubectl and Istio's golden files. Quoting is conservative: a string
// that any YAML 1.1 or 1.2 reader could take for a number, bool, null or
// timestamp is quoted.
#include "inject/yaml_emit.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <re2/re2.h>

namespace mesh::inject {
namespace {

constexpr std::string_view kStringTag = "!";
constexpr std::string_view kPlainTag = "?";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool has_control(std::string_view s, bool allow_newline) {
  return std::any_of(s.begin(), s.end(), [allow_newline](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && !(allow_newline && c == '\n') && c != '\t') || u == 0x7f;
  });
}

// Would a reader type this plain scalar as something other than a string?
bool reads_as_non_string(std::string_view s) {
  static const char* const kWords[] = {"null", "~", "true", "false", "yes",   "no",   "on", "off",
                                       "y",    "n", ".inf", "-.inf", "+.inf", ".nan", "<<", "="};
  std::string l = lower(s);
  if (std::find(std::begin(kWords), std::end(kWords), l) != std::end(kWords)) return true;
  size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
  if (i < s.size() && s[i] == '.') ++i;
  return i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]));
}

// Can `s` be written as a plain scalar at all (in block context)?
bool plain_syntax_ok(std::string_view s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ' || has_control(s, false)) return false;
  if (s.find('\t') != std::string_view::npos) return false;
  if (s.starts_with("---") || s.starts_with("...")) return false;
  static constexpr std::string_view kIndicators = ",[]{}#&*!|>'\"%@`";
  if (kIndicators.find(s.front()) != std::string_view::npos) return false;
  if ((s.front() == '-' || s.front() == '?' || s.front() == ':') && (s.size() == 1 || s[1] == ' '))
    return false;
  return s.find(": ") == std::string_view::npos && s.find(" #") == std::string_view::npos && s.back() != ':';
}

std::string single_quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string double_quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", u);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// A literal block keeps multi-line text readable ("|", "|-" or "|+").
bool literal_ok(std::string_view s) {
  return s.find('\n') != std::string_view::npos && s.front() != ' ' && s.front() != '\n' &&
         !has_control(s, true) && s.find('\r') == std::string_view::npos;
}

std::string literal_block(std::string_view s, size_t indent) {
  std::string header = "|";
  if (!s.ends_with('\n')) {
    header += "-";
  } else if (s.ends_with("\n\n")) {
    header += "+";
  }
  std::string out = header;
  std::string_view body = s.ends_with('\n') ? s.substr(0, s.size() - 1) : s;
  size_t start = 0;
  while (start <= body.size()) {
    size_t nl = body.find('\n', start);
    std::string_view line = body.substr(start, nl == std::string_view::npos ? nl : nl - start);
    out += "\n";
    if (!line.empty()) out += std::string(indent, ' ') + std::string(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

std::string scalar_text(const YAML::Node& node, size_t indent) {
  const std::string& s = node.Scalar();
  if (!is_string_scalar(node)) {
    if (plain_syntax_ok(s)) return s;
  } else if (!s.empty() && plain_syntax_ok(s) && !reads_as_non_string(s)) {
    return s;
  }
  if (literal_ok(s)) return literal_block(s, indent);
  if (has_control(s, false) || s.find('\t') != std::string::npos) return double_quoted(s);
  return single_quoted(s);
}

bool is_empty_collection(const YAML::Node& n) {
  return (n.IsMap() || n.IsSequence()) && n.size() == 0;
}

void write_map(const YAML::Node& node, size_t indent, bool first_inline, std::string& out);
void write_seq(const YAML::Node& node, size_t indent, std::string& out);

// Everything after "key:" or "-": the value on the same line or below.
void write_value(const YAML::Node& v, size_t indent, bool in_seq, std::string& out) {
  if (!v.IsDefined() || v.IsNull()) {
    out += " null\n";
  } else if (v.IsScalar()) {
    out += " " + scalar_text(v, indent + 2) + "\n";
  } else if (is_empty_collection(v)) {
    out += v.IsMap() ? " {}\n" : " []\n";
  } else if (v.IsMap() && in_seq) {
    out += " ";
    write_map(v, indent + 2, true, out);
  } else if (v.IsMap()) {
    out += "\n";
    write_map(v, indent + 2, false, out);
  } else {
    out += "\n";
    write_seq(v, in_seq ? indent + 2 : indent, out);
  }
}

std::string key_text(const YAML::Node& key) {
  if (key.IsScalar()) return scalar_text(key, 0);
  if (key.IsNull()) return "null";
  return double_quoted(YAML::Dump(key));  // complex keys do not occur in Kubernetes objects
}

void write_map(const YAML::Node& node, size_t indent, bool first_inline, std::string& out) {
  bool first = true;
  for (const auto& kv : node) {
    if (!(first && first_inline)) out += std::string(indent, ' ');
    first = false;
    out += key_text(kv.first) + ":";
    write_value(kv.second, indent, false, out);
  }
}

void write_seq(const YAML::Node& node, size_t indent, std::string& out) {
  for (const auto& item : node) {
    out += std::string(indent, ' ') + "-";
    write_value(item, indent, true, out);
  }
}

}  // namespace

std::string emit_yaml(const YAML::Node& node) {
  std::string out;
  if (node.IsMap() && node.size() > 0) {
    write_map(node, 0, false, out);
  } else if (node.IsSequence() && node.size() > 0) {
    write_seq(node, 0, out);
  } else if (node.IsScalar()) {
    out = scalar_text(node, 2) + "\n";
  } else {
    out = node.IsMap() ? "{}\n" : node.IsSequence() ? "[]\n" : "null\n";
  }
  return out;
}

YAML::Node string_node(std::string_view value) {
  YAML::Node n{std::string(value)};
  n.SetTag(std::string(kStringTag));
  return n;
}

YAML::Node plain_node(std::string_view value) {
  YAML::Node n{std::string(value)};
  n.SetTag(std::string(kPlainTag));
  return n;
}

YAML::Node int_node(long long value) {
  return plain_node(std::to_string(value));
}
YAML::Node bool_node(bool value) {
  return plain_node(value ? "true" : "false");
}

bool is_string_scalar(const YAML::Node& node) {
  if (!node.IsScalar()) return false;
  const std::string& tag = node.Tag();
  if (tag == kPlainTag) return false;
  static constexpr std::string_view kCore = "tag:yaml.org,2002:";
  if (tag.starts_with(kCore)) return tag == std::string(kCore) + "str";
  return true;
}

nlohmann::ordered_json to_json(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return nullptr;
  if (node.IsMap()) {
    nlohmann::ordered_json obj = nlohmann::ordered_json::object();
    for (const auto& kv : node) obj[kv.first.Scalar()] = to_json(kv.second);
    return obj;
  }
  if (node.IsSequence()) {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& item : node) arr.push_back(to_json(item));
    return arr;
  }
  const std::string& s = node.Scalar();
  if (is_string_scalar(node)) return s;
  std::string l = lower(s);
  if (l == "true" || l == "false") return l == "true";
  if (l == "null" || l == "~") return nullptr;
  static const RE2 kInt("[-+]?[0-9]+");
  static const RE2 kFloat("[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?");
  if (RE2::FullMatch(s, kInt) && s.size() < 19) return std::stoll(s);
  if (RE2::FullMatch(s, kFloat)) return std::stod(s);
  return s;
}

}  // namespace mesh::inject
