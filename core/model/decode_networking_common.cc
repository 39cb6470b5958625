#include "core/model/decode_networking_common.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include <fmt/format.h>

namespace mesh::model {

namespace {

bool is_lower_alnum(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

// Checks the labels after the first one: each a DNS label, the last not all
// digits; a trailing dot ("istio.io.") is allowed.
std::string check_dns_labels(std::string_view full, std::string_view rest) {
  std::vector<std::string_view> labels;
  size_t start = 0;
  while (true) {
    const size_t dot = rest.find('.', start);
    labels.push_back(
        rest.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (all_digits(labels.back())) {
    return fmt::format("domain name \"{}\" is invalid: the top-level label \"{}\" is all digits", full,
                       labels.back());
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i == labels.size() - 1 && labels[i].empty()) break;
    if (!is_dns1123_label(labels[i])) {
      return fmt::format("domain name \"{}\" is invalid: label \"{}\" is not a DNS-1123 label", full,
                         labels[i]);
    }
  }
  return "";
}

std::string check_domain_length(std::string_view host) {
  if (host.empty()) return "an empty domain name is not allowed";
  if (host.size() > 255) return fmt::format("domain name \"{}\" is longer than 255 characters", host);
  return "";
}

}  // namespace

bool is_dns1123_label(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) { return is_lower_alnum(ch) || ch == '-'; });
}

bool is_wildcard_dns1123_label(std::string_view s) {
  if (s.size() > 63) return false;
  if (s == "*") return true;
  if (s.starts_with("*-"))
    s.remove_prefix(2);
  else if (s.starts_with("*"))
    s.remove_prefix(1);
  return is_dns1123_label(s);
}

bool is_ip_address(std::string_view s) {
  const std::string text(s);
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

std::string check_fqdn(std::string_view host) {
  if (std::string problem = check_domain_length(host); !problem.empty()) return problem;
  return check_dns_labels(host, host);
}

std::string check_wildcard_domain(std::string_view host) {
  if (std::string problem = check_domain_length(host); !problem.empty()) return problem;
  const size_t dot = host.find('.');
  const std::string_view first = host.substr(0, dot);
  if (!is_wildcard_dns1123_label(first)) {
    return fmt::format("domain name \"{}\" is invalid: label \"{}\" is not a DNS-1123 label", host, first);
  }
  if (dot == std::string_view::npos) return "";
  return check_dns_labels(host, host.substr(dot + 1));
}

std::string check_ip_subnet(std::string_view s) {
  if (std::count(s.begin(), s.end(), '/') == 1) {
    const size_t slash = s.find('/');
    const std::string_view addr = s.substr(0, slash), bits = s.substr(slash + 1);
    int value = -1;
    const bool v6 = addr.find(':') != std::string_view::npos;
    if (!is_ip_address(addr) || !all_digits(bits) || bits.size() > 3 ||
        std::from_chars(bits.data(), bits.data() + bits.size(), value).ec != std::errc() ||
        value > (v6 ? 128 : 32)) {
      return fmt::format("\"{}\" is not a valid CIDR block", s);
    }
    return "";
  }
  if (!is_ip_address(s)) return fmt::format("\"{}\" is not a valid IP address", s);
  return "";
}

bool hosts_overlap(std::string_view a, std::string_view b) {
  if (a == b || a == "*" || b == "*") return true;
  const bool wild_a = a.starts_with('*'), wild_b = b.starts_with('*');
  if (wild_a && wild_b) {
    a.remove_prefix(1);
    b.remove_prefix(1);
    return a.size() <= b.size() ? b.ends_with(a) : a.ends_with(b);
  }
  if (wild_a) return b.ends_with(a.substr(1));
  if (wild_b) return a.ends_with(b.substr(1));
  return false;
}

bool host_within(std::string_view inner, std::string_view outer) {
  if (outer == "*" || inner == outer) return true;
  if (!outer.starts_with('*')) return false;
  if (inner.starts_with('*')) inner.remove_prefix(1);
  return inner.ends_with(outer.substr(1));
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

bool is_known_protocol(std::string_view protocol) {
  static const std::set<std::string, std::less<>> known = {"TCP",  "UDP",        "GRPC",  "GRPC-WEB",
                                                           "HTTP", "HTTP_PROXY", "HTTP2", "HTTPS",
                                                           "TLS",  "MONGO",      "REDIS", "MYSQL"};
  return known.count(to_upper(protocol)) > 0;
}

bool protocol_is_http(std::string_view protocol) {
  const std::string p = to_upper(protocol);
  return p == "HTTP" || p == "HTTP2" || p == "HTTP_PROXY" || p == "GRPC" || p == "GRPC-WEB";
}

bool protocol_is_tls(std::string_view protocol) {
  const std::string p = to_upper(protocol);
  return p == "HTTPS" || p == "TLS";
}

bool read_strings(DecodeContext& c, const yaml::Node& n, std::vector<std::string>& out,
                  const StringCheck& check) {
  if (!n.is_sequence()) {
    c.error(n, fmt::format("expected a list, got {}", type_name(n)));
    return false;
  }
  bool ok = true;
  for (size_t i = 0; i < n.size(); ++i) {
    FieldScope scope(c, i);
    std::string value;
    if (!read(c, n[i], value)) {
      ok = false;
      continue;
    }
    if (check) check(n[i], value);
    out.push_back(std::move(value));
  }
  return ok;
}

yaml::Node child_or_self(const yaml::Node& map, std::string_view key) {
  if (!map.is_map()) return map;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.is_scalar() && it->first.scalar() == key) return it->second;
  }
  return map;
}

bool read_ms_duration(DecodeContext& c, const yaml::Node& n, std::optional<Duration>& out) {
  if (!read_duration(c, n, out)) return false;
  if (out->count() % 1'000'000 != 0) {
    c.error(n, fmt::format("duration \"{}\" is finer than the supported millisecond precision", n.scalar()));
    return false;
  }
  return true;
}

void check_gateway_name(DecodeContext& c, const yaml::Node& at, const std::string& name) {
  const size_t slash = name.find('/');
  if (slash == std::string::npos) {
    if (name.find('.') != std::string::npos) {
      const size_t dot = name.find('.');
      const size_t dot2 = name.find('.', dot + 1);
      c.warning(at, fmt::format("gateway \"{}\" uses the legacy name.namespace form; prefer \"{}/{}\"", name,
                                name.substr(dot + 1, dot2 == std::string::npos ? dot2 : dot2 - dot - 1),
                                name.substr(0, dot)));
    }
    if (std::string problem = check_fqdn(name); !problem.empty())
      c.error(at, "invalid gateway name: " + problem);
    return;
  }
  const std::string ns = name.substr(0, slash), gw = name.substr(slash + 1);
  if (ns.empty() || gw.empty()) {
    c.error(at, fmt::format("gateway \"{}\" must be namespace/name with both parts set", name));
    return;
  }
  if (!is_dns1123_label(ns)) c.error(at, fmt::format("gateway namespace \"{}\" is not a DNS-1123 label", ns));
  if (!is_dns1123_label(gw)) c.error(at, fmt::format("gateway name \"{}\" is not a DNS-1123 label", gw));
}

void read_export_to(DecodeContext& c, const yaml::Node& n, const std::string& ns, const ExportToRules& rules,
                    std::vector<std::string>& out) {
  std::set<std::string> seen;
  read_strings(c, n, out, [&](const yaml::Node& at, const std::string& value) {
    const std::string key = value == "." ? ns : value;
    const bool none_ok = rules.allow_none && value == "~";
    if (value != "." && value != "*" && !none_ok && !is_dns1123_label(value)) {
      c.error(at, fmt::format("exportTo entry \"{}\" must be \".\", \"*\"{} or a namespace name", value,
                              rules.allow_none ? ", \"~\"" : ""));
    } else if (!seen.insert(key).second) {
      c.error(at, key != value ? fmt::format("\".\" and the current namespace \"{}\" are both listed", ns)
                               : fmt::format("duplicate exportTo entry \"{}\"", value));
    }
  });
  if (seen.count("*") && out.size() > 1)
    c.error(n, "\"*\" exports everywhere and cannot be combined with other entries");
  if (seen.count("~") && out.size() > 1)
    c.error(n, "\"~\" exports to no one and cannot be combined with other entries");
  if (rules.current_namespace_only && !seen.empty()) {
    if (!seen.count(ns)) {
      c.error(n, "a destination rule with a workloadSelector can only be exported to its own namespace");
    } else if (seen.size() > 1) {
      c.error(n, "a destination rule with a workloadSelector can only have one exportTo entry");
    }
  }
}

namespace {

void check_host_part(std::string_view host, bool gateway, std::vector<std::string>& problems) {
  if (host != "*" && host.find('.') == std::string_view::npos) {
    problems.push_back(fmt::format("short name \"{}\" is not allowed; use a fully qualified name", host));
  }
  if (std::string problem = check_wildcard_domain(host);
      !problem.empty() && !(gateway && is_ip_address(host))) {
    problems.push_back(problem);
  }
  if (host.find('*') != std::string_view::npos && host != "*" && !host.starts_with("*.")) {
    problems.push_back(fmt::format("partial wildcard \"{}\" is not allowed", host));
  }
}

}  // namespace

std::vector<std::string> check_namespace_host(std::string_view host, bool gateway) {
  std::vector<std::string> problems;
  const size_t slash = host.find('/');
  if (slash == std::string_view::npos) {
    if (gateway)
      check_host_part(host, true, problems);
    else
      problems.push_back(fmt::format("host \"{}\" must be namespace/dnsName", host));
    return problems;
  }
  const std::string_view ns = host.substr(0, slash), name = host.substr(slash + 1);
  if (ns.empty() || name.empty()) {
    problems.push_back(fmt::format("host \"{}\" needs both a namespace and a dnsName", host));
    return problems;
  }
  const bool special = ns == "*" || ns == "." || (!gateway && ns == "~");
  if (!special && !is_dns1123_label(ns)) {
    problems.push_back(fmt::format("namespace \"{}\" must be \"*\", \".\"{} or a namespace name", ns,
                                   gateway ? "" : ", \"~\""));
  }
  check_host_part(name, gateway, problems);
  return problems;
}

}  // namespace mesh::model
