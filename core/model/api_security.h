// security.istio.io objects (v1 and v1beta1 share one schema):
// PeerAuthentication, AuthorizationPolicy, RequestAuthentication.
#pragma once

#include "core/model/api_common.h"

namespace mesh::model {

// Gateway-API style policy attachment (targetRef / targetRefs).
struct PolicyTargetReference {
  std::string group;
  std::string kind;
  std::string name;
  std::string ns;  // YAML: namespace
};

struct PeerAuthentication {
  Meta meta;
  std::optional<WorkloadSelector> selector;
  enum class Mode { kUnset, kDisable, kPermissive, kStrict };
  Mode mode = Mode::kUnset;  // mtls.mode
  std::map<uint32_t, Mode> port_level_mtls;
};

struct AuthzSource {
  std::vector<std::string> principals, not_principals;
  std::vector<std::string> request_principals, not_request_principals;
  std::vector<std::string> namespaces, not_namespaces;
  std::vector<std::string> ip_blocks, not_ip_blocks;
  std::vector<std::string> remote_ip_blocks, not_remote_ip_blocks;
  std::vector<std::string> service_accounts, not_service_accounts;  // "ns/name" or "name"
};

struct AuthzOperation {
  std::vector<std::string> hosts, not_hosts;
  std::vector<std::string> ports, not_ports;
  std::vector<std::string> methods, not_methods;
  std::vector<std::string> paths, not_paths;
};

struct AuthzCondition {
  std::string key;
  std::vector<std::string> values, not_values;
};

struct AuthzRule {
  std::vector<AuthzSource> from;  // from[].source
  std::vector<AuthzOperation> to;  // to[].operation
  std::vector<AuthzCondition> when;
};

struct AuthorizationPolicy {
  Meta meta;
  std::optional<WorkloadSelector> selector;
  std::vector<PolicyTargetReference> target_refs;  // targetRef folded in
  std::vector<AuthzRule> rules;
  enum class Action { kAllow, kDeny, kAudit, kCustom };
  Action action = Action::kAllow;
  std::string provider;  // provider.name, CUSTOM only
};

struct JWTHeader {
  std::string name;
  std::string prefix;
};

struct ClaimToHeader {
  std::string header;
  std::string claim;
};

struct JWTRule {
  std::string issuer;
  std::vector<std::string> audiences;
  std::string jwks_uri;
  std::string jwks;
  std::vector<JWTHeader> from_headers;
  std::vector<std::string> from_params;
  std::vector<std::string> from_cookies;
  std::string output_payload_to_header;
  bool forward_original_token = false;
  std::vector<ClaimToHeader> output_claim_to_headers;
  std::optional<Duration> timeout;
};

struct RequestAuthentication {
  Meta meta;
  std::optional<WorkloadSelector> selector;
  std::vector<PolicyTargetReference> target_refs;
  std::vector<JWTRule> jwt_rules;
};

}  // namespace mesh::model
