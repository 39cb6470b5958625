#include "core/model/decode.h"

#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <re2/re2.h>

namespace mesh::model {

DecodeContext::DecodeContext(std::shared_ptr<const std::string> file, Diagnostics& out)
    : file_(std::move(file)), out_(out) {}

void DecodeContext::set_object(const Meta& meta) {
  object_ = fmt::format("{}/{}/{}", meta.kind, meta.ns.empty() ? "default" : meta.ns, meta.name);
}

Pos DecodeContext::pos(const yaml::Node& node) const {
  Pos p = node.pos();
  if (p.line > 0) p.line += line_offset_;
  return p;
}

void DecodeContext::push_field(std::string_view name) { path_.emplace_back(name); }
void DecodeContext::push_index(size_t index) { path_.push_back(fmt::format("[{}]", index)); }
void DecodeContext::pop() { path_.pop_back(); }

std::string DecodeContext::path() const {
  std::string out;
  for (const auto& part : path_) {
    if (!out.empty() && part.front() != '[') out += '.';
    out += part;
  }
  return out;
}

void DecodeContext::report(Severity severity, Pos pos, std::string message) {
  if (pos.line > 0) pos.line += line_offset_;
  if (severity == Severity::kError) ++errors_;
  out_.add(Diagnostic{severity, file_ ? *file_ : "", pos, object_, path(), std::move(message)});
}

void DecodeContext::error(const yaml::Node& at, std::string message) {
  report(Severity::kError, at.pos(), std::move(message));
}

void DecodeContext::warning(const yaml::Node& at, std::string message) {
  report(Severity::kWarning, at.pos(), std::move(message));
}

void DecodeContext::error_field(const yaml::Node& at, std::string_view field, std::string message) {
  FieldScope scope(*this, field);
  error(at, std::move(message));
}

namespace {

bool read_field_table(DecodeContext& c, const yaml::Node& node, const Field* begin, const Field* end) {
  if (!node.is_map()) {
    c.error(node, fmt::format("expected a map, got {}", type_name(node)));
    return false;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.is_scalar()) {
      c.error(it->first, "map keys must be strings");
      continue;
    }
    const std::string& key = it->first.scalar();
    const Field* match = nullptr;
    for (const Field* f = begin; f != end; ++f) {
      if (f->name == key) {
        match = f;
        break;
      }
    }
    FieldScope scope(c, key);
    if (match == nullptr) {
      c.error(it->first, "unknown field \"" + key + "\"");
      continue;
    }
    if (it->second.is_null()) continue;
    match->read(it->second);
  }
  return true;
}

}  // namespace

bool read_fields(DecodeContext& c, const yaml::Node& node, std::initializer_list<Field> fields) {
  return read_field_table(c, node, fields.begin(), fields.end());
}

bool read_fields(DecodeContext& c, const yaml::Node& node, const std::vector<Field>& fields) {
  return read_field_table(c, node, fields.data(), fields.data() + fields.size());
}

bool read(DecodeContext& c, const yaml::Node& n, std::string& out) {
  if (!n.is_scalar()) {
    c.error(n, fmt::format("expected a string, got {}", type_name(n)));
    return false;
  }
  out = n.scalar();
  return true;
}

bool read(DecodeContext& c, const yaml::Node& n, bool& out) {
  if (n.is_scalar()) {
    const std::string& s = n.scalar();
    if (s == "true" || s == "True" || s == "TRUE") return out = true, true;
    if (s == "false" || s == "False" || s == "FALSE") return out = false, true;
  }
  c.error(n, "expected a boolean (true or false)");
  return false;
}

namespace {

template <class T>
bool read_integer(DecodeContext& c, const yaml::Node& n, T& out, std::string_view what) {
  if (n.is_scalar()) {
    const std::string& s = n.scalar();
    T value{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) {
      out = value;
      return true;
    }
    if (ec == std::errc::result_out_of_range) {
      c.error(n, fmt::format("{} is out of range for {}", s, what));
      return false;
    }
  }
  c.error(n, fmt::format("expected {}", what));
  return false;
}

}  // namespace

bool read(DecodeContext& c, const yaml::Node& n, int32_t& out) {
  return read_integer(c, n, out, "a 32-bit integer");
}
bool read(DecodeContext& c, const yaml::Node& n, uint32_t& out) {
  return read_integer(c, n, out, "a non-negative 32-bit integer");
}
bool read(DecodeContext& c, const yaml::Node& n, uint64_t& out) {
  return read_integer(c, n, out, "a non-negative integer");
}

bool read(DecodeContext& c, const yaml::Node& n, double& out) {
  if (n.is_scalar()) {
    const std::string& s = n.scalar();
    double value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty() && std::isfinite(value)) {
      out = value;
      return true;
    }
  }
  c.error(n, "expected a number");
  return false;
}

bool read(DecodeContext& c, const yaml::Node& n, Labels& out) {
  if (!n.is_map()) {
    c.error(n, fmt::format("expected a map of strings, got {}", type_name(n)));
    return false;
  }
  bool ok = true;
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string key, value;
    if (!read(c, it->first, key)) {
      ok = false;
      continue;
    }
    FieldScope scope(c, key);
    if (it->second.is_null()) {
      out[key] = "";
      continue;
    }
    if (!read(c, it->second, value)) {
      ok = false;
      continue;
    }
    out[key] = std::move(value);
  }
  return ok;
}

bool check_regex(DecodeContext& c, const yaml::Node& at, const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re(pattern, options);
  if (re.ok()) return true;
  c.error(at, fmt::format("invalid regex \"{}\": {}", pattern, re.error()));
  return false;
}

bool read(DecodeContext& c, const yaml::Node& n, StringMatch& out) {
  out.pos = c.pos(n);
  int set = 0;
  bool ok = read_fields(c, n, {
      {"exact", [&](const yaml::Node& v) { ++set; out.kind = StringMatch::Kind::kExact; read(c, v, out.value); }},
      {"prefix", [&](const yaml::Node& v) { ++set; out.kind = StringMatch::Kind::kPrefix; read(c, v, out.value); }},
      {"regex", [&](const yaml::Node& v) {
         ++set;
         out.kind = StringMatch::Kind::kRegex;
         if (read(c, v, out.value)) check_regex(c, v, out.value);
       }},
  });
  if (set > 1) {
    c.error(n, "only one of exact, prefix or regex may be set");
    return false;
  }
  return ok;
}

bool read(DecodeContext& c, const yaml::Node& n, WorkloadSelector& out) {
  return read_fields(c, n, {{"matchLabels", [&](const yaml::Node& v) { read(c, v, out.match_labels); }}});
}

bool read(DecodeContext& c, const yaml::Node& n, PortSelector& out) {
  return read_fields(c, n, {{"number", [&](const yaml::Node& v) { read_port(c, v, out.number); }}});
}

bool parse_duration(std::string_view text, Duration& out) {
  // Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, or "0".
  if (text == "0") return out = Duration::zero(), true;
  if (text.empty() || text.front() == '-') return false;
  if (text.front() == '+') text.remove_prefix(1);
  long double total_ns = 0;
  while (!text.empty()) {
    size_t i = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == 0) return false;
    long double value = 0;
    std::string number(text.substr(0, i));
    if (number == "." || std::count(number.begin(), number.end(), '.') > 1) return false;
    value = std::strtold(number.c_str(), nullptr);
    text.remove_prefix(i);
    size_t u = 0;
    while (u < text.size() && !std::isdigit(static_cast<unsigned char>(text[u])) && text[u] != '.') ++u;
    std::string_view unit = text.substr(0, u);
    text.remove_prefix(u);
    long double scale = 0;
    if (unit == "ns") scale = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") scale = 1e3;
    else if (unit == "ms") scale = 1e6;
    else if (unit == "s") scale = 1e9;
    else if (unit == "m") scale = 60e9;
    else if (unit == "h") scale = 3600e9;
    else return false;
    total_ns += value * scale;
  }
  if (total_ns > static_cast<long double>(std::numeric_limits<int64_t>::max())) return false;
  out = Duration(static_cast<int64_t>(total_ns));
  return true;
}

std::string format_duration(Duration d) {
  using namespace std::chrono;
  const int64_t ns = d.count();
  if (ns % 1'000'000'000 == 0) return fmt::format("{}s", ns / 1'000'000'000);
  if (ns % 1'000'000 == 0) return fmt::format("{}ms", ns / 1'000'000);
  if (ns % 1'000 == 0) return fmt::format("{}us", ns / 1'000);
  return fmt::format("{}ns", ns);
}

bool read_duration(DecodeContext& c, const yaml::Node& n, Duration& out, bool allow_zero) {
  std::string text;
  if (!read(c, n, text)) return false;
  if (!parse_duration(text, out)) {
    c.error(n, fmt::format("invalid duration \"{}\" (expected e.g. \"1s\", \"500ms\", \"1m30s\")", text));
    return false;
  }
  if (!allow_zero && out < std::chrono::milliseconds(1)) {
    c.error(n, fmt::format("duration \"{}\" must be at least 1ms", text));
    return false;
  }
  return true;
}

bool read_duration(DecodeContext& c, const yaml::Node& n, std::optional<Duration>& out, bool allow_zero) {
  Duration d{};
  if (!read_duration(c, n, d, allow_zero)) return false;
  out = d;
  return true;
}

bool read_percent(DecodeContext& c, const yaml::Node& n, double& out) {
  bool ok = read_fields(c, n, {{"value", [&](const yaml::Node& v) {
                                  if (read(c, v, out) && (out < 0 || out > 100)) {
                                    c.error(v, fmt::format("percentage {} must be between 0 and 100", out));
                                  }
                                }}});
  return ok;
}

bool read_port(DecodeContext& c, const yaml::Node& n, uint32_t& out) {
  if (!read(c, n, out)) return false;
  if (out == 0 || out > 65535) {
    c.error(n, fmt::format("port number {} must be between 1 and 65535", out));
    return false;
  }
  return true;
}

void read_metadata(DecodeContext& c, const yaml::Node& metadata, Meta& meta) {
  FieldScope scope(c, "metadata");
  if (!metadata.is_map()) {
    c.error(metadata, "metadata must be a map");
    return;
  }
  // Kubernetes metadata has many server-set fields; read the ones the mesh uses.
  for (auto it = metadata.begin(); it != metadata.end(); ++it) {
    if (!it->first.is_scalar() || it->second.is_null()) continue;
    const std::string& key = it->first.scalar();
    FieldScope field(c, key);
    if (key == "name") read(c, it->second, meta.name);
    else if (key == "namespace") read(c, it->second, meta.ns);
    else if (key == "labels") read(c, it->second, meta.labels);
    else if (key == "annotations") read(c, it->second, meta.annotations);
  }
}

}  // namespace mesh::model
