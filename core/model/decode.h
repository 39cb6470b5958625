// Decoding helpers shared by every kind's decoder: a context that tracks the
// field path and reports problems with positions, field tables that reject
// unknown fields, and readers for scalars, lists, maps, enums and durations.
//
// Every reader reports its own problems and returns false on failure; decoders
// keep going after an error so that one run reports every problem.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/model/api_common.h"
#include "core/model/diag.h"
#include "core/model/yaml_tree.h"

namespace mesh::model {

using yaml::type_name;

class DecodeContext {
 public:
  DecodeContext(std::shared_ptr<const std::string> file, Diagnostics& out);

  // Names the object that problems are reported against ("Kind/ns/name").
  void set_object(const Meta& meta);
  const std::shared_ptr<const std::string>& file() const { return file_; }
  // Documents parsed out of a larger file report lines relative to the file.
  void set_line_offset(int lines) { line_offset_ = lines; }
  // Position of `node` in the file (use this, not node.pos(), for stored positions).
  Pos pos(const yaml::Node& node) const;

  void push_field(std::string_view name);
  void push_index(size_t index);
  void pop();
  std::string path() const;

  void error(const yaml::Node& at, std::string message);
  void warning(const yaml::Node& at, std::string message);
  void report(Severity severity, Pos pos, std::string message);
  // For a problem at a field below the current path (e.g. a sibling check).
  void error_field(const yaml::Node& at, std::string_view field, std::string message);
  size_t error_count() const { return errors_; }

 private:
  std::shared_ptr<const std::string> file_;
  Diagnostics& out_;
  std::string object_;
  std::vector<std::string> path_;
  size_t errors_ = 0;
  int line_offset_ = 0;
};

// RAII path component.
class FieldScope {
 public:
  FieldScope(DecodeContext& c, std::string_view name) : c_(c) { c_.push_field(name); }
  FieldScope(DecodeContext& c, size_t index) : c_(c) { c_.push_index(index); }
  ~FieldScope() { c_.pop(); }
  FieldScope(const FieldScope&) = delete;
  FieldScope& operator=(const FieldScope&) = delete;

 private:
  DecodeContext& c_;
};

struct Field {
  std::string_view name;
  std::function<void(const yaml::Node&)> read;
};

// Reads a map: each known key calls its reader with the path extended; unknown
// keys are errors; null values are treated as absent. Returns false if `node` is
// not a map.
bool read_fields(DecodeContext& c, const yaml::Node& node, std::initializer_list<Field> fields);
// The same, for a field table assembled from shared parts.
bool read_fields(DecodeContext& c, const yaml::Node& node, const std::vector<Field>& fields);

// Scalars. Each reports "expected a X" on a wrong type.
bool read(DecodeContext& c, const yaml::Node& n, std::string& out);
bool read(DecodeContext& c, const yaml::Node& n, bool& out);
bool read(DecodeContext& c, const yaml::Node& n, int32_t& out);
bool read(DecodeContext& c, const yaml::Node& n, uint32_t& out);
bool read(DecodeContext& c, const yaml::Node& n, uint64_t& out);
bool read(DecodeContext& c, const yaml::Node& n, double& out);
bool read(DecodeContext& c, const yaml::Node& n, Labels& out);  // map<string,string>
bool read(DecodeContext& c, const yaml::Node& n, StringMatch& out);
bool read(DecodeContext& c, const yaml::Node& n, WorkloadSelector& out);
bool read(DecodeContext& c, const yaml::Node& n, PortSelector& out);

// A duration in Go/Istio syntax ("1.5s", "100ms", "1h2m"); must be >= 1ms unless
// `allow_zero`.
bool read_duration(DecodeContext& c, const yaml::Node& n, Duration& out, bool allow_zero = false);
bool read_duration(DecodeContext& c, const yaml::Node& n, std::optional<Duration>& out,
                   bool allow_zero = false);
// Parses Go duration syntax; false on malformed text.
bool parse_duration(std::string_view text, Duration& out);
std::string format_duration(Duration d);

// Istio's Percent {value: double} in [0, 100].
bool read_percent(DecodeContext& c, const yaml::Node& n, double& out);

// A port number 1..65535.
bool read_port(DecodeContext& c, const yaml::Node& n, uint32_t& out);

// A regex that must compile with RE2.
bool check_regex(DecodeContext& c, const yaml::Node& at, const std::string& pattern);

template <class T>
bool read(DecodeContext& c, const yaml::Node& n, std::vector<T>& out) {
  if (!n.is_sequence()) {
    c.error(n, "expected a list, got " + std::string(type_name(n)));
    return false;
  }
  bool ok = true;
  out.reserve(out.size() + n.size());
  for (size_t i = 0; i < n.size(); ++i) {
    FieldScope scope(c, i);
    T item{};
    ok = read(c, n[i], item) && ok;
    out.push_back(std::move(item));
  }
  return ok;
}

template <class T>
bool read(DecodeContext& c, const yaml::Node& n, std::optional<T>& out) {
  out.emplace();
  return read(c, n, *out);
}

// Reads a map of string to T, keeping the order written.
template <class T>
bool read(DecodeContext& c, const yaml::Node& n, std::vector<std::pair<std::string, T>>& out) {
  if (!n.is_map()) {
    c.error(n, "expected a map, got " + std::string(type_name(n)));
    return false;
  }
  bool ok = true;
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string key;
    if (!read(c, it->first, key)) {
      ok = false;
      continue;
    }
    FieldScope scope(c, key);
    T value{};
    ok = read(c, it->second, value) && ok;
    out.emplace_back(std::move(key), std::move(value));
  }
  return ok;
}

template <class E>
bool read_enum(DecodeContext& c, const yaml::Node& n, E& out,
               std::initializer_list<std::pair<std::string_view, E>> names) {
  std::string text;
  if (!read(c, n, text)) return false;
  for (const auto& [name, value] : names) {
    if (text == name) {
      out = value;
      return true;
    }
  }
  std::string allowed;
  for (const auto& [name, value] : names) allowed += (allowed.empty() ? "" : ", ") + std::string(name);
  c.error(n, "unknown value \"" + text + "\" (expected one of " + allowed + ")");
  return false;
}

// Reads `metadata` of any object into meta (name, namespace, labels, annotations).
void read_metadata(DecodeContext& c, const yaml::Node& metadata, Meta& meta);

}  // namespace mesh::model
