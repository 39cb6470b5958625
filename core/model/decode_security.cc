// security.istio.io decoders: PeerAuthentication and AuthorizationPolicy, with
// the rules Istio's validation webhook applies (RequestAuthentication:
// decode_request_authentication.cc).
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "core/model/decode_kinds.h"
#include "core/model/decode_security_parts.h"

namespace mesh::model {
using namespace security_parts;
namespace {

// ------------------------------------------------------------ PeerAuthentication

using PeerMode = PeerAuthentication::Mode;

void read_mtls(DecodeContext& c, const yaml::Node& n, PeerMode& out) {
  read_fields(c, n, {{"mode", [&](const yaml::Node& v) {
                        read_enum(c, v, out,
                                  {{"UNSET", PeerMode::kUnset},
                                   {"DISABLE", PeerMode::kDisable},
                                   {"PERMISSIVE", PeerMode::kPermissive},
                                   {"STRICT", PeerMode::kStrict}});
                      }}});
}

void read_port_level_mtls(DecodeContext& c, const yaml::Node& n, std::map<uint32_t, PeerMode>& out) {
  if (!n.is_map()) {
    c.error(n, fmt::format("expected a map of port number to mtls settings, got {}", type_name(n)));
    return;
  }
  if (n.size() == 0) c.error(n, "port-level mTLS, if set, must name at least one port");
  for (auto it = n.begin(); it != n.end(); ++it) {
    FieldScope scope(c, it->first.is_scalar() ? it->first.scalar() : "?");
    uint32_t port = 0;
    if (!read_port(c, it->first, port)) continue;
    if (out.count(port) != 0) c.error(it->first, fmt::format("port {} is listed twice", port));
    PeerMode mode = PeerMode::kUnset;
    if (!it->second.is_null()) read_mtls(c, it->second, mode);
    out[port] = mode;
  }
}

// ------------------------------------------------------------ AuthorizationPolicy

using Action = AuthorizationPolicy::Action;

// Reads one source or operation field; `custom_ok` is false for fields the
// CUSTOM action cannot match on (Istio sends only request attributes to it).
struct ListReader {
  DecodeContext& c;
  bool is_custom;
  std::function<void(const yaml::Node&)> operator()(std::vector<std::string>& out,
                                                    ValueKind kind = ValueKind::kAny,
                                                    bool custom_ok = true) const {
    return [this, &out, kind, custom_ok](const yaml::Node& v) {
      read_values(c, v, out, kind);
      if (is_custom && !custom_ok) c.error(v, "not supported with action CUSTOM");
    };
  }
};

void read_source(DecodeContext& c, const yaml::Node& n, bool is_custom, AuthzSource& s) {
  const ListReader list{c, is_custom};
  const bool ok =
      read_fields(c, n,
                  {
                      {"principals", list(s.principals, ValueKind::kAny, false)},
                      {"notPrincipals", list(s.not_principals, ValueKind::kAny, false)},
                      {"requestPrincipals", list(s.request_principals, ValueKind::kAny, false)},
                      {"notRequestPrincipals", list(s.not_request_principals, ValueKind::kAny, false)},
                      {"namespaces", list(s.namespaces, ValueKind::kAny, false)},
                      {"notNamespaces", list(s.not_namespaces, ValueKind::kAny, false)},
                      {"serviceAccounts", list(s.service_accounts, ValueKind::kAny, false)},
                      {"notServiceAccounts", list(s.not_service_accounts, ValueKind::kAny, false)},
                      {"ipBlocks", list(s.ip_blocks, ValueKind::kIp)},
                      {"notIpBlocks", list(s.not_ip_blocks, ValueKind::kIp)},
                      {"remoteIpBlocks", list(s.remote_ip_blocks, ValueKind::kIp)},
                      {"notRemoteIpBlocks", list(s.not_remote_ip_blocks, ValueKind::kIp)},
                  });
  if (!ok) return;
  const size_t identities =
      s.principals.size() + s.not_principals.size() + s.namespaces.size() + s.not_namespaces.size();
  const size_t accounts = s.service_accounts.size() + s.not_service_accounts.size();
  if (identities > 0 && accounts > 0)
    c.error(n, "serviceAccounts cannot be combined with namespaces or principals");
  if (identities + accounts + s.request_principals.size() + s.not_request_principals.size() +
          s.ip_blocks.size() + s.not_ip_blocks.size() + s.remote_ip_blocks.size() +
          s.not_remote_ip_blocks.size() ==
      0) {
    c.error(n, "source must set at least one field");
  }
}

void read_operation(DecodeContext& c, const yaml::Node& n, AuthzOperation& op) {
  const ListReader list{c, false};
  const bool ok = read_fields(c, n,
                              {
                                  {"hosts", list(op.hosts)},
                                  {"notHosts", list(op.not_hosts)},
                                  {"ports", list(op.ports, ValueKind::kPort)},
                                  {"notPorts", list(op.not_ports, ValueKind::kPort)},
                                  {"methods", list(op.methods)},
                                  {"notMethods", list(op.not_methods)},
                                  {"paths", list(op.paths, ValueKind::kPath)},
                                  {"notPaths", list(op.not_paths, ValueKind::kPath)},
                              });
  if (ok && op.hosts.empty() && op.not_hosts.empty() && op.ports.empty() && op.not_ports.empty() &&
      op.methods.empty() && op.not_methods.empty() && op.paths.empty() && op.not_paths.empty()) {
    c.error(n, "operation must set at least one field");
  }
}

// Reads `{<wrapper>: {...}}` (from[].source, to[].operation); the wrapper is required.
template <class T, class F>
void read_wrapped(DecodeContext& c, const yaml::Node& n, const char* wrapper, std::vector<T>& out,
                  F read_inner) {
  if (n.is_sequence() && n.size() == 0) {
    c.error(n, "must not be empty; leave it out to match everything");
    return;
  }
  for_each_item(c, n, [&](const yaml::Node& item) {
    T value{};
    bool found = false;
    read_fields(c, item, {{wrapper, [&](const yaml::Node& v) {
                             found = true;
                             read_inner(v, value);
                           }}});
    if (item.is_map() && !found) c.error(item, fmt::format("{}: required field is missing", wrapper));
    out.push_back(std::move(value));
  });
}

// Attributes a `when` condition can test (Istio's authorization condition list).
std::string check_when_key(const std::string& key, bool is_custom) {
  const auto map_key = [&](std::string_view prefix) {
    const size_t open = key.find('[');
    const bool ok = key.size() > prefix.size() + 2 && key.back() == ']' && open != std::string::npos &&
                    open < key.size() - 2;
    return ok ? std::string() : fmt::format("bad key \"{}\": expected the form {}[name]", key, prefix);
  };
  if (is_custom && (key == "source.namespace" || key == "source.serviceAccount" ||
                    key == "source.principal" || key.starts_with("request.auth."))) {
    return fmt::format("\"{}\" is not supported with action CUSTOM", key);
  }
  if (key.starts_with("request.headers")) return map_key("request.headers");
  if (key.starts_with("request.auth.claims")) return map_key("request.auth.claims");
  if (key.starts_with("experimental.envoy.filters.")) return map_key("experimental.envoy.filters.*");
  static const std::set<std::string, std::less<>> plain = {"source.ip",
                                                           "remote.ip",
                                                           "source.namespace",
                                                           "source.principal",
                                                           "source.serviceAccount",
                                                           "request.auth.principal",
                                                           "request.auth.audiences",
                                                           "request.auth.presenter",
                                                           "destination.ip",
                                                           "destination.port",
                                                           "connection.sni"};
  if (plain.count(key) != 0) return "";
  if (key == "destination.namespace") return "destination.namespace is replaced by metadata.namespace";
  if (key.starts_with("destination.labels")) return "destination.labels is replaced by the workload selector";
  if (key == "destination.name" || key == "destination.user") {
    return fmt::format("attribute {} is no longer supported", key);
  }
  return fmt::format("unknown attribute \"{}\"", key);
}

ValueKind when_value_kind(const std::string& key) {
  if (key == "source.ip" || key == "remote.ip" || key == "destination.ip") return ValueKind::kIp;
  if (key == "destination.port") return ValueKind::kPort;
  return ValueKind::kAny;
}

void read_condition(DecodeContext& c, const yaml::Node& n, bool is_custom, AuthzCondition& out) {
  yaml::Node key_node, values_node, not_values_node;
  read_fields(c, n,
              {
                  {"key",
                   [&](const yaml::Node& v) {
                     key_node = v;
                     read(c, v, out.key);
                   }},
                  {"values", [&](const yaml::Node& v) { values_node = v; }},
                  {"notValues", [&](const yaml::Node& v) { not_values_node = v; }},
              });
  if (!n.is_map()) return;
  if (out.key.empty()) {
    c.error(present(key_node) ? key_node : n, "key: required field is missing");
  } else if (std::string problem = check_when_key(out.key, is_custom); !problem.empty()) {
    c.error_field(key_node, "key", problem);
  }
  const ValueKind kind = when_value_kind(out.key);
  if (present(values_node)) {
    FieldScope scope(c, "values");
    read_values(c, values_node, out.values, kind);
  }
  if (present(not_values_node)) {
    FieldScope scope(c, "notValues");
    read_values(c, not_values_node, out.not_values, kind);
  }
  if (out.values.empty() && out.not_values.empty())
    c.error(n, "at least one of values or notValues must be set");
}

void read_rule(DecodeContext& c, const yaml::Node& n, bool is_custom, AuthzRule& rule) {
  read_fields(c, n,
              {
                  {"from",
                   [&](const yaml::Node& v) {
                     read_wrapped(c, v, "source", rule.from, [&](const yaml::Node& s, AuthzSource& out) {
                       read_source(c, s, is_custom, out);
                     });
                   }},
                  {"to",
                   [&](const yaml::Node& v) {
                     read_wrapped(c, v, "operation", rule.to, [&](const yaml::Node& o, AuthzOperation& out) {
                       read_operation(c, o, out);
                     });
                   }},
                  {"when",
                   [&](const yaml::Node& v) {
                     for_each_item(c, v, [&](const yaml::Node& item) {
                       AuthzCondition cond;
                       read_condition(c, item, is_custom, cond);
                       rule.when.push_back(std::move(cond));
                     });
                   }},
              });
}

// The action decides what rules and provider mean; checked once everything is read.
void check_action(DecodeContext& c, const yaml::Node& spec, const AuthorizationPolicy& out, bool has_rules,
                  const yaml::Node& provider_node) {
  const yaml::Node action_node = spec["action"];
  const yaml::Node& at = present(action_node) ? action_node : spec;
  if (out.action == Action::kCustom) {
    if (!has_rules) {
      c.error_field(at, "action",
                    "CUSTOM without rules never applies; add an empty rule {} to apply it to every request");
    }
    if (out.provider.empty()) {
      c.error_field(present(provider_node) ? provider_node : at, "provider",
                    "provider.name is required with action CUSTOM");
    }
  } else if (present(provider_node)) {
    c.error_field(provider_node, "provider", "provider may only be set with action CUSTOM");
  }
  if (out.action == Action::kDeny && !has_rules) {
    c.error_field(at, "action",
                  "DENY without rules never applies; add an empty rule {} to deny every request");
  }
}

}  // namespace

void decode_spec(DecodeContext& c, const yaml::Node& spec, PeerAuthentication& out) {
  yaml::Node port_level;
  read_fields(c, spec,
              {
                  {"selector", [&](const yaml::Node& v) { read_selector(c, v, out.selector); }},
                  {"mtls", [&](const yaml::Node& v) { read_mtls(c, v, out.mode); }},
                  {"portLevelMtls",
                   [&](const yaml::Node& v) {
                     port_level = v;
                     read_port_level_mtls(c, v, out.port_level_mtls);
                   }},
              });
  if (present(port_level) && (!out.selector || out.selector->match_labels.empty())) {
    c.error_field(
        port_level, "portLevelMtls",
        "port-level mTLS needs a selector with labels; mesh- and namespace-wide policies cannot have it");
  }
}

void decode_spec(DecodeContext& c, const yaml::Node& spec, AuthorizationPolicy& out) {
  yaml::Node rules_node, provider_node;
  read_fields(
      c, spec,
      {
          {"selector", [&](const yaml::Node& v) { read_selector(c, v, out.selector); }},
          {"targetRef", [&](const yaml::Node& v) { read_target_ref(c, v, out.target_refs); }},
          {"targetRefs", [&](const yaml::Node& v) { read_target_refs(c, v, out.target_refs); }},
          {"action",
           [&](const yaml::Node& v) {
             read_enum(c, v, out.action,
                       {{"ALLOW", Action::kAllow},
                        {"DENY", Action::kDeny},
                        {"AUDIT", Action::kAudit},
                        {"CUSTOM", Action::kCustom}});
           }},
          {"provider",
           [&](const yaml::Node& v) {
             provider_node = v;
             read_fields(c, v, {{"name", [&](const yaml::Node& name) { read(c, name, out.provider); }}});
           }},
          {"rules", [&](const yaml::Node& v) { rules_node = v; }},
      });
  if (!spec.is_map()) return;
  check_one_scope(c, spec);
  if (present(rules_node)) {  // read after the action, which changes what rules may contain
    FieldScope scope(c, "rules");
    const bool is_custom = out.action == Action::kCustom;
    for_each_item(c, rules_node, [&](const yaml::Node& item) {
      AuthzRule rule;
      read_rule(c, item, is_custom, rule);
      out.rules.push_back(std::move(rule));
    });
  }
  check_action(c, spec, out, rules_node.is_sequence() && rules_node.size() > 0, provider_node);
}

}  // namespace mesh::model
