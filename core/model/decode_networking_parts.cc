// Readers for the small messages several networking kinds share.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "core/model/decode_networking_common.h"

namespace mesh::model {

namespace {

bool is_alnum(char ch) {
  return std::isalnum(static_cast<unsigned char>(ch)) != 0;
}

// Kubernetes "qualified name" part and label value syntax.
bool is_label_name(std::string_view s) {
  if (s.empty() || s.size() > 63 || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char ch) { return is_alnum(ch) || ch == '-' || ch == '_' || ch == '.'; });
}

bool is_dns_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    if (!is_dns1123_label(s.substr(start, dot == std::string_view::npos ? dot : dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::string check_label_key(std::string_view key) {
  const size_t slash = key.find('/');
  const std::string_view name = slash == std::string_view::npos ? key : key.substr(slash + 1);
  if (slash != std::string_view::npos && !is_dns_subdomain(key.substr(0, slash))) {
    return fmt::format("label key \"{}\" has an invalid prefix (must be a DNS subdomain)", key);
  }
  if (!is_label_name(name)) {
    return fmt::format(
        "label key \"{}\" is invalid (1-63 alphanumerics, '-', '_' or '.', starting and ending "
        "alphanumeric)",
        key);
  }
  return "";
}

// Header names Envoy can match: tokens of letters, digits, '-' and '_'.
bool is_header_token(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char ch) { return is_alnum(ch) || ch == '-' || ch == '_'; });
}

// Envoy header values: no control characters, and '%' either doubled or
// enclosing a command like %HOSTNAME% or %REQ(x-foo)%.
std::string check_header_value(std::string_view value) {
  for (char ch : value) {
    const auto u = static_cast<unsigned char>(ch);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return "header value contains a control character";
  }
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') continue;
    if (i + 1 < value.size() && value[i + 1] == '%') {
      ++i;
      continue;
    }
    const size_t close = value.find('%', i + 1);
    if (close == std::string_view::npos || close == i + 1) {
      return fmt::format("header value \"{}\" has an unmatched '%' (write %% for a literal percent sign)",
                         value);
    }
    i = close;
  }
  return "";
}

// Header operations: `request` may set :authority/host; nothing may touch
// other ':' pseudo-headers, and responses and removals may not touch Host.
std::string check_header_op_name(std::string_view name, bool request_set) {
  if (name.empty()) return "header name must not be empty";
  const bool authority = name == ":authority" || name == "host";
  if (request_set && authority) return "";
  if (name == "host") return "the Host header cannot be changed here";
  if (name.starts_with(':')) return fmt::format("pseudo-header \"{}\" cannot be changed", name);
  return "";
}

void read_header_map(DecodeContext& c, const yaml::Node& n,
                     std::vector<std::pair<std::string, std::string>>& out, bool request_set) {
  if (!n.is_map()) {
    c.error(n, fmt::format("expected a map of strings, got {}", type_name(n)));
    return;
  }
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string name, value;
    if (!read(c, it->first, name)) continue;
    name = to_lower(name);
    FieldScope scope(c, name);
    if (std::string problem = check_header_op_name(name, request_set); !problem.empty())
      c.error(it->first, problem);
    if (!it->second.is_null() && read(c, it->second, value)) {
      if (std::string problem = check_header_value(value); !problem.empty()) c.error(it->second, problem);
    }
    out.emplace_back(std::move(name), std::move(value));
  }
}

void read_header_ops(DecodeContext& c, const yaml::Node& n, HeaderOperations& out, bool request) {
  read_fields(c, n,
              {
                  {"set", [&](const yaml::Node& v) { read_header_map(c, v, out.set, request); }},
                  {"add", [&](const yaml::Node& v) { read_header_map(c, v, out.add, request); }},
                  {"remove",
                   [&](const yaml::Node& v) {
                     read_strings(c, v, out.remove, [&](const yaml::Node& at, const std::string& name) {
                       if (std::string problem = check_header_op_name(to_lower(name), false);
                           !problem.empty()) {
                         c.error(at, problem);
                       }
                     });
                     for (std::string& name : out.remove) name = to_lower(name);
                   }},
              });
}

void check_selector_labels(DecodeContext& c, const yaml::Node& map, const WorkloadSelector& selector) {
  if (map.is_map()) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string key = it->first.is_scalar() ? it->first.scalar() : "";
      const std::string value = it->second.is_scalar() ? it->second.scalar() : "";
      if (key.empty()) c.error(it->first, "selector label keys must not be empty");
      if (key.find('*') != std::string::npos || value.find('*') != std::string::npos) {
        FieldScope scope(c, key);
        c.error(it->second, fmt::format("wildcards are not supported in selectors: \"{}={}\"", key, value));
      }
    }
  }
  if (selector.match_labels.empty())
    c.warning(map, "the selector has no labels, so it selects every workload");
}

}  // namespace

void check_labels(DecodeContext& c, const yaml::Node& map) {
  if (!map.is_map()) return;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.is_scalar()) continue;
    const std::string& key = it->first.scalar();
    FieldScope scope(c, key);
    if (std::string problem = check_label_key(key); !problem.empty()) c.error(it->first, problem);
    const std::string value = it->second.is_scalar() ? it->second.scalar() : "";
    if (!value.empty() && !is_label_name(value)) {
      c.error(it->second,
              fmt::format("label value \"{}\" is invalid (at most 63 alphanumerics, '-', '_' or '.', "
                          "starting and ending alphanumeric)",
                          value));
    }
  }
}

void read_labels_selector(DecodeContext& c, const yaml::Node& n, std::optional<WorkloadSelector>& out) {
  out.emplace();
  read_fields(c, n, {{"labels", [&](const yaml::Node& v) {
                        if (read(c, v, out->match_labels)) check_selector_labels(c, v, *out);
                      }}});
  if (n.is_map() && !n["labels"]) check_selector_labels(c, n, *out);
}

void read_match_labels_selector(DecodeContext& c, const yaml::Node& n, std::optional<WorkloadSelector>& out) {
  out.emplace();
  read_fields(c, n, {{"matchLabels", [&](const yaml::Node& v) {
                        if (read(c, v, out->match_labels)) check_selector_labels(c, v, *out);
                      }}});
  if (n.is_map() && !n["matchLabels"]) check_selector_labels(c, n, *out);
}

bool check_istio_regex(DecodeContext& c, const yaml::Node& at, const std::string& pattern) {
  if (pattern.empty()) {
    c.error(at, "regex must not be empty");
    return false;
  }
  if (pattern.size() > 1024) {
    c.error(at, fmt::format("regex is {} characters long; at most 1024 are allowed", pattern.size()));
    return false;
  }
  return check_regex(c, at, pattern);
}

bool read_string_match(DecodeContext& c, const yaml::Node& n, StringMatch& out,
                       const StringMatchRules& rules) {
  out.pos = c.pos(n);
  int set = 0;
  const auto take = [&](StringMatch::Kind kind, const yaml::Node& v) {
    ++set;
    out.kind = kind;
    if (!read(c, v, out.value)) return;
    if (kind == StringMatch::Kind::kPrefix && out.value.empty() && !rules.allow_empty_prefix) {
      c.error(v, "prefix match must not be empty");
    } else if (kind == StringMatch::Kind::kRegex && !(rules.star_is_presence && out.value == "*")) {
      check_istio_regex(c, v, out.value);
    }
  };
  if (!read_fields(c, n,
                   {
                       {"exact", [&](const yaml::Node& v) { take(StringMatch::Kind::kExact, v); }},
                       {"prefix", [&](const yaml::Node& v) { take(StringMatch::Kind::kPrefix, v); }},
                       {"regex", [&](const yaml::Node& v) { take(StringMatch::Kind::kRegex, v); }},
                   })) {
    return false;
  }
  if (set > 1) {
    c.error(n, "only one of exact, prefix or regex may be set");
    return false;
  }
  return true;
}

bool read_destination(DecodeContext& c, const yaml::Node& n, Destination& out) {
  out.pos = c.pos(n);
  const size_t errors = c.error_count();
  if (!read_fields(c, n,
                   {
                       {"host",
                        [&](const yaml::Node& v) {
                          if (!read(c, v, out.host)) return;
                          if (out.host == "*") {
                            c.error(v, "destination host \"*\" is not allowed");
                          } else if (std::string problem = check_wildcard_domain(out.host);
                                     !problem.empty()) {
                            c.error(v, problem);
                          }
                        }},
                       {"subset",
                        [&](const yaml::Node& v) {
                          if (read(c, v, out.subset) && !is_dns1123_label(out.subset)) {
                            c.error(v, fmt::format("subset name \"{}\" is not a DNS-1123 label", out.subset));
                          }
                        }},
                       {"port", [&](const yaml::Node& v) { read(c, v, out.port); }},
                   })) {
    return false;
  }
  if (!n["host"] || n["host"].is_null()) c.error_field(n, "host", "required field is missing");
  return c.error_count() == errors;
}

void read_with_destination(DecodeContext& c, const yaml::Node& n, Destination& out,
                           std::initializer_list<Field> others) {
  bool has_destination = false;
  std::vector<Field> fields(others);
  fields.push_back({"destination", [&](const yaml::Node& v) {
                      has_destination = true;
                      read_destination(c, v, out);
                    }});
  read_fields(c, n, fields);
  if (n.is_map() && !has_destination) c.error_field(n, "destination", "required field is missing");
}

void read_weight(DecodeContext& c, const yaml::Node& n, int32_t& out) {
  if (read(c, n, out) && out < 0) c.error(n, fmt::format("weight {} must not be negative", out));
}

void read_headers(DecodeContext& c, const yaml::Node& n, Headers& out) {
  read_fields(c, n,
              {
                  {"request", [&](const yaml::Node& v) { read_header_ops(c, v, out.request, true); }},
                  {"response", [&](const yaml::Node& v) { read_header_ops(c, v, out.response, false); }},
              });
}

bool is_jwt_claim_header(std::string_view name) {
  return name.starts_with("@request.auth.claims.") || name.starts_with("@request.auth.claims[");
}

bool is_match_header_name(std::string_view name) {
  return is_header_token(name) || is_jwt_claim_header(name);
}

void read_server_port(DecodeContext& c, const yaml::Node& n, ServerPort& out) {
  read_fields(
      c, n,
      {
          {"number",
           [&](const yaml::Node& v) {
             if (read(c, v, out.number) && out.number > 65535) {
               c.error(v, fmt::format("port number {} must be between 1 and 65535", out.number));
             }
           }},
          {"protocol",
           [&](const yaml::Node& v) {
             if (!read(c, v, out.protocol)) return;
             if (!is_known_protocol(out.protocol)) {
               c.error(v,
                       fmt::format(
                           "unsupported protocol \"{}\" (expected HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TLS, "
                           "TCP, UDP, MONGO, REDIS or MYSQL)",
                           out.protocol));
             }
             out.protocol = to_upper(out.protocol);
           }},
          {"name", [&](const yaml::Node& v) { read(c, v, out.name); }},
          {"targetPort", [&](const yaml::Node& v) { read_port(c, v, out.target_port); }},
      });
}

std::string check_unix_address(std::string_view path) {
  if (path.empty()) return "unix address must not be empty";
  if (path.front() == '@') return "";
  if (path.front() != '/' || path.back() == '/')
    return fmt::format("\"{}\" is not an absolute path to a file", path);
  return "";
}

std::string check_bind(std::string_view bind) {
  if (bind.empty()) return "";
  if (bind.starts_with("unix://")) return check_unix_address(bind.substr(7));
  if (!is_ip_address(bind)) return fmt::format("bind address \"{}\" is not an IP address", bind);
  return "";
}

}  // namespace mesh::model
