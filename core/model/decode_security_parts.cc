// Helpers shared by the security.istio.io decoders.
#include "core/model/decode_security_parts.h"

#include <arpa/inet.h>

#include <algorithm>

#include <re2/re2.h>

namespace mesh::model::security_parts {
namespace {

bool valid_ip(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

// An address or CIDR block ("10.0.0.0/8", "2001:db8::/32").
std::string check_ip_or_cidr(const std::string& text) {
  const size_t slash = text.find('/');
  const std::string addr = text.substr(0, slash);
  if (!valid_ip(addr)) return fmt::format("\"{}\" is not an IP address or CIDR block", text);
  if (slash == std::string::npos) return "";
  const std::string bits = text.substr(slash + 1);
  const int max_bits = addr.find(':') == std::string::npos ? 32 : 128;
  const bool digits = !bits.empty() && bits.size() <= 3 &&
                      std::all_of(bits.begin(), bits.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  if (!digits || std::stoi(bits) > max_bits) return fmt::format("\"{}\" has a bad prefix length", text);
  return "";
}

std::string check_port_text(const std::string& text) {
  const bool digits = !text.empty() && text.size() <= 5 &&
                      std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  if (!digits || std::stoi(text) > 65535) return fmt::format("\"{}\" is not a port number (0..65535)", text);
  return "";
}

// Path templates ({*}, {**}) may not also use named variables or bare globs.
std::string check_path(const std::string& text) {
  if (text.find("{*}") == std::string::npos && text.find("{**}") == std::string::npos) return "";
  static const RE2 unsupported(R"(/\{\w+=\*\*?\}|\{\w*\}|/\*\*?|\*\*?/)");
  if (RE2::PartialMatch(text, unsupported))
    return fmt::format("\"{}\" is an unsupported path template", text);
  return "";
}

std::string check_value(ValueKind kind, const std::string& text) {
  switch (kind) {
    case ValueKind::kIp:
      return check_ip_or_cidr(text);
    case ValueKind::kPort:
      return check_port_text(text);
    case ValueKind::kPath:
      return check_path(text);
    case ValueKind::kAny:
      break;
  }
  return "";
}

bool allowed_target(const PolicyTargetReference& ref) {
  const std::string_view group = ref.group == "core" ? "" : std::string_view(ref.group);
  return (group.empty() && ref.kind == "Service") ||
         (group == "networking.istio.io" && ref.kind == "ServiceEntry") ||
         (group == "gateway.networking.k8s.io" && (ref.kind == "Gateway" || ref.kind == "GatewayClass"));
}

}  // namespace

void read_values(DecodeContext& c, const yaml::Node& n, std::vector<std::string>& out, ValueKind kind) {
  for_each_item(c, n, [&](const yaml::Node& item) {
    std::string value;
    if (!read(c, item, value)) return;
    if (value.empty()) {
      c.error(item, "empty value not allowed");
    } else if (std::string problem = check_value(kind, value); !problem.empty()) {
      c.error(item, problem);
    }
    out.push_back(std::move(value));
  });
}

void read_selector(DecodeContext& c, const yaml::Node& n, std::optional<WorkloadSelector>& out) {
  out.emplace();
  if (!read(c, n, *out)) return;
  if (out->match_labels.empty()) {
    c.warning(n, "workload selector has no labels and selects every workload");
    return;
  }
  const yaml::Node labels = n["matchLabels"];
  for (auto it = labels.begin(); it != labels.end(); ++it) {
    const std::string key = it->first.scalar();
    const std::string value = it->second.is_scalar() ? it->second.scalar() : "";
    FieldScope scope(c, "matchLabels");
    if (key.empty()) c.error(it->first, "empty label key is not supported in a selector");
    if (key.find('*') != std::string::npos || value.find('*') != std::string::npos) {
      c.error(it->first, fmt::format("wildcard is not supported in a selector: \"{}={}\"", key, value));
    }
  }
}

void read_target_ref(DecodeContext& c, const yaml::Node& n, std::vector<PolicyTargetReference>& out) {
  PolicyTargetReference ref;
  yaml::Node ns_node;
  read_fields(c, n,
              {
                  {"group", [&](const yaml::Node& v) { read(c, v, ref.group); }},
                  {"kind", [&](const yaml::Node& v) { read(c, v, ref.kind); }},
                  {"name", [&](const yaml::Node& v) { read(c, v, ref.name); }},
                  {"namespace",
                   [&](const yaml::Node& v) {
                     ns_node = v;
                     read(c, v, ref.ns);
                   }},
              });
  if (!n.is_map()) return;
  if (ref.name.empty()) c.error(n, "name: required field is missing");
  if (!ref.ns.empty()) {
    c.error_field(ns_node, "namespace", "cross-namespace targetRef is not supported; leave namespace unset");
  }
  if (!allowed_target(ref)) {
    c.error(n,
            fmt::format("targetRef must be a Service, ServiceEntry, Gateway or GatewayClass, not \"{}/{}\"",
                        ref.group, ref.kind));
  }
  out.push_back(std::move(ref));
}

void read_target_refs(DecodeContext& c, const yaml::Node& n, std::vector<PolicyTargetReference>& out) {
  for_each_item(c, n, [&](const yaml::Node& item) { read_target_ref(c, item, out); });
}

void check_one_scope(DecodeContext& c, const yaml::Node& spec) {
  if (!spec.is_map()) return;
  std::vector<std::string_view> seen;
  for (const char* name : {"selector", "targetRef", "targetRefs"}) {
    const yaml::Node v = spec[name];
    if (!v || v.is_null() || (v.is_sequence() && v.size() == 0)) continue;
    if (!seen.empty()) {
      c.error_field(
          v, name,
          fmt::format("only one of selector, targetRef or targetRefs may be set ({} is set)", seen.front()));
    }
    seen.push_back(name);
  }
}

}  // namespace mesh::model::security_parts
