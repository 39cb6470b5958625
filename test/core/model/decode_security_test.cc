// security.istio.io decoders: valid objects decode fully; each Istio rule
// produces an error at the offending field.
#include <doctest/doctest.h>

#include "core/model/load.h"

using namespace mesh::model;

namespace {

struct Loaded {
  ConfigSet config;
  Diagnostics diags;
  std::vector<std::string> lines;  // formatted diagnostics
};

Loaded load(const std::string& kind, const std::string& spec) {
  Loaded out;
  const std::string text = "apiVersion: security.istio.io/v1\nkind: " + kind +
                           "\nmetadata:\n  name: p\n  namespace: ns\nspec:\n" + spec;
  load_text(text, "s.yaml", {}, out.config, out.diags);
  for (const auto& d : out.diags.items()) out.lines.push_back(d.format());
  return out;
}

// True if exactly one diagnostic contains every fragment.
bool has(const Loaded& l, std::initializer_list<std::string_view> fragments) {
  for (const auto& line : l.lines) {
    bool all = true;
    for (std::string_view f : fragments) all = all && line.find(f) != std::string::npos;
    if (all) return true;
  }
  return false;
}

std::string dump(const Loaded& l) {
  std::string out;
  for (const auto& line : l.lines) out += line + "\n";
  return out;
}

}  // namespace

TEST_CASE("PeerAuthentication decodes modes and port-level settings") {
  const auto l = load("PeerAuthentication",
                      "  selector:\n    matchLabels: {app: web}\n  mtls: {mode: STRICT}\n"
                      "  portLevelMtls:\n    8080: {mode: DISABLE}\n    9090:\n      mode: PERMISSIVE\n");
  INFO(dump(l));
  CHECK(l.lines.empty());
  REQUIRE(l.config.peer_authentications.size() == 1);
  const auto& pa = l.config.peer_authentications[0];
  CHECK(pa.mode == PeerAuthentication::Mode::kStrict);
  CHECK(pa.selector->match_labels.at("app") == "web");
  CHECK(pa.port_level_mtls.at(8080) == PeerAuthentication::Mode::kDisable);
  CHECK(pa.port_level_mtls.at(9090) == PeerAuthentication::Mode::kPermissive);
}

TEST_CASE("PeerAuthentication rejects bad modes, ports and port-level without selector") {
  const auto l = load("PeerAuthentication",
                      "  mtls: {mode: STRICTER}\n  portLevelMtls:\n    0: {mode: STRICT}\n    http: {}\n"
                      "    80: {mode: STRICT, extra: 1}\n");
  INFO(dump(l));
  CHECK(has(l, {"s.yaml:7:16: PeerAuthentication/ns/p: spec.mtls.mode: unknown value \"STRICTER\""}));
  CHECK(has(l, {"s.yaml:9:5:", "spec.portLevelMtls.0: port number 0 must be between 1 and 65535"}));
  CHECK(has(l, {"s.yaml:10:5:", "spec.portLevelMtls.http: expected a non-negative 32-bit integer"}));
  CHECK(has(l, {"s.yaml:11:24:", "spec.portLevelMtls.80.extra: unknown field"}));
  CHECK(has(l, {"s.yaml:9:5:", "spec.portLevelMtls: port-level mTLS needs a selector"}));
  CHECK(l.diags.error_count() == 5);
}

TEST_CASE("selectors: wildcards and empty keys are errors, no labels is a warning") {
  auto l = load("PeerAuthentication", "  selector:\n    matchLabels: {app: '*'}\n");
  CHECK(has(l, {"s.yaml:8:19:", "spec.selector.matchLabels: wildcard is not supported"}));
  l = load("PeerAuthentication", "  selector: {}\n");
  CHECK_FALSE(l.diags.has_errors());
  CHECK(has(l, {"spec.selector: warning: workload selector has no labels"}));
  l = load("PeerAuthentication", "  selector: {matchLabels: [a]}\n  portLevelMtls: {}\n");
  CHECK(has(l, {"spec.selector.matchLabels: expected a map of strings"}));
  CHECK(has(l, {"spec.portLevelMtls: port-level mTLS, if set, must name at least one port"}));
}

TEST_CASE("AuthorizationPolicy decodes rules, conditions and target refs") {
  const auto l = load("AuthorizationPolicy",
                      "  targetRefs:\n  - {kind: Service, group: '', name: web}\n"
                      "  action: DENY\n  rules:\n"
                      "  - from:\n    - source:\n        principals: [cluster.local/ns/a/sa/b]\n"
                      "        ipBlocks: [10.0.0.0/8, '2001:db8::1']\n"
                      "    to:\n    - operation:\n        methods: [GET]\n        ports: ['8080']\n"
                      "        paths: ['/api/{*}/x']\n"
                      "    when:\n    - key: request.headers[x-user]\n      values: [alice]\n"
                      "    - key: destination.port\n      notValues: ['22']\n");
  INFO(dump(l));
  CHECK(l.lines.empty());
  REQUIRE(l.config.authorization_policies.size() == 1);
  const auto& ap = l.config.authorization_policies[0];
  CHECK(ap.action == AuthorizationPolicy::Action::kDeny);
  REQUIRE(ap.target_refs.size() == 1);
  CHECK(ap.target_refs[0].name == "web");
  REQUIRE(ap.rules.size() == 1);
  CHECK(ap.rules[0].from[0].ip_blocks.size() == 2);
  CHECK(ap.rules[0].to[0].ports == std::vector<std::string>{"8080"});
  REQUIRE(ap.rules[0].when.size() == 2);
  CHECK(ap.rules[0].when[1].not_values == std::vector<std::string>{"22"});
}

TEST_CASE("AuthorizationPolicy field rules") {
  const auto l = load("AuthorizationPolicy",
                      "  selector: {matchLabels: {app: a}}\n  targetRef: {kind: Service, name: a}\n"
                      "  rules:\n"
                      "  - from:\n    - source: {ipBlocks: [10.0.0.0/33, nope], principals: ['']}\n"
                      "    - {}\n"
                      "    to:\n    - operation: {ports: ['70000'], paths: ['/{*}/{name}']}\n"
                      "    - operation: {}\n"
                      "    when:\n    - key: request.headers\n      values: [a]\n"
                      "    - key: destination.labels[app]\n      values: [a]\n"
                      "    - key: source.ip\n"
                      "    - key: source.ip\n      values: [999.1.1.1]\n"
                      "  - from: []\n    bogus: 1\n");
  INFO(dump(l));
  CHECK(has(l, {"s.yaml:8:14:", "spec.targetRef: only one of selector, targetRef or targetRefs"}));
  CHECK(has(l, {"spec.rules[0].from[0].source.ipBlocks[0]: \"10.0.0.0/33\" has a bad prefix length"}));
  CHECK(has(l, {"spec.rules[0].from[0].source.ipBlocks[1]: \"nope\" is not an IP address"}));
  CHECK(has(l, {"spec.rules[0].from[0].source.principals[0]: empty value not allowed"}));
  CHECK(has(l, {"s.yaml:12:7:", "spec.rules[0].from[1]: source: required field is missing"}));
  CHECK(has(l, {"to[0].operation.ports[0]: \"70000\" is not a port number"}));
  CHECK(has(l, {"to[0].operation.paths[0]: \"/{*}/{name}\" is an unsupported path template"}));
  CHECK(has(l, {"to[1].operation: operation must set at least one field"}));
  CHECK(has(l, {"when[0].key: bad key \"request.headers\""}));
  CHECK(has(l, {"when[1].key: destination.labels is replaced by the workload selector"}));
  CHECK(has(l, {"when[2]: at least one of values or notValues must be set"}));
  CHECK(has(l, {"when[3].values[0]: \"999.1.1.1\" is not an IP address"}));
  CHECK(has(l, {"spec.rules[1].from: must not be empty"}));
  CHECK(has(l, {"spec.rules[1].bogus: unknown field \"bogus\""}));
  CHECK(l.diags.error_count() == 14);
}

TEST_CASE("AuthorizationPolicy actions: CUSTOM needs provider and rules, provider only with CUSTOM") {
  auto l = load("AuthorizationPolicy", "  action: CUSTOM\n");
  CHECK(has(l, {"s.yaml:7:11:", "spec.action: CUSTOM without rules never applies"}));
  CHECK(has(l, {"spec.provider: provider.name is required with action CUSTOM"}));
  l = load("AuthorizationPolicy", "  action: ALLOW\n  provider: {name: ext}\n  rules: [{}]\n");
  CHECK(has(l, {"s.yaml:8:13:", "spec.provider: provider may only be set with action CUSTOM"}));
  CHECK(l.diags.error_count() == 1);
  l = load("AuthorizationPolicy", "  action: DENY\n");
  CHECK(has(l, {"spec.action: DENY without rules never applies"}));
  l = load("AuthorizationPolicy", "  action: allow\n");
  CHECK(has(l, {"spec.action: unknown value \"allow\" (expected one of ALLOW, DENY, AUDIT, CUSTOM)"}));
  l = load("AuthorizationPolicy",
           "  action: CUSTOM\n  provider: {name: opa}\n  rules:\n  - from:\n    - source: {principals: [a]}\n"
           "    when:\n    - key: request.auth.claims[iss]\n      values: [x]\n"
           "    - key: connection.sni\n      values: [a.com]\n");
  INFO(dump(l));
  CHECK(has(l, {"source.principals: not supported with action CUSTOM"}));
  CHECK(has(l, {"when[0].key: \"request.auth.claims[iss]\" is not supported with action CUSTOM"}));
  CHECK(l.diags.error_count() == 2);
  CHECK(l.config.authorization_policies.back().provider == "opa");
}

TEST_CASE("targetRef must name an allowed kind in the same namespace") {
  const auto l = load("AuthorizationPolicy",
                      "  targetRef: {kind: Deployment, group: apps, namespace: other}\n  rules: [{}]\n");
  INFO(dump(l));
  CHECK(has(l, {"spec.targetRef: name: required field is missing"}));
  CHECK(has(l, {"spec.targetRef.namespace: cross-namespace targetRef is not supported"}));
  CHECK(has(l, {"spec.targetRef: targetRef must be a Service, ServiceEntry, Gateway or GatewayClass"}));
}

TEST_CASE("RequestAuthentication decodes JWT rules") {
  const auto l = load("RequestAuthentication",
                      "  selector: {matchLabels: {app: web}}\n  jwtRules:\n"
                      "  - issuer: https://issuer.example\n    jwksUri: https://issuer.example/jwks\n"
                      "    audiences: [web]\n    fromHeaders:\n    - {name: x-jwt, prefix: 'Bearer '}\n"
                      "    fromParams: [token]\n    forwardOriginalToken: true\n    timeout: 5s\n"
                      "    outputClaimToHeaders:\n    - {header: x-sub, claim: sub}\n");
  INFO(dump(l));
  CHECK(l.lines.empty());
  REQUIRE(l.config.request_authentications.size() == 1);
  const auto& rule = l.config.request_authentications[0].jwt_rules.at(0);
  CHECK(rule.issuer == "https://issuer.example");
  CHECK(rule.from_headers.at(0).prefix == "Bearer ");
  CHECK(rule.forward_original_token);
  CHECK(rule.timeout == std::chrono::seconds(5));
  CHECK(rule.output_claim_to_headers.at(0).claim == "sub");
}

TEST_CASE("RequestAuthentication rule checks") {
  const auto l = load("RequestAuthentication",
                      "  jwtRules:\n"
                      "  - audiences: ['']\n    fromHeaders: [{prefix: x}]\n    fromCookies: ['']\n"
                      "  - issuer: a\n    jwksUri: ftp://a/keys\n    jwks: '{\"keys\": []}'\n"
                      "  - issuer: b\n    jwks: 'not json: ['\n    timeout: 0s\n"
                      "    outputClaimToHeaders: [{header: 'bad header', claim: c}, {claim: d}]\n"
                      "    forwardOriginalToken: maybe\n");
  INFO(dump(l));
  CHECK(has(l, {"s.yaml:8:5:", "spec.jwtRules[0]: issuer: required field is missing"}));
  CHECK(has(l, {"spec.jwtRules[0].audiences[0]: empty value not allowed"}));
  CHECK(has(l, {"spec.jwtRules[0].fromHeaders[0]: name: required field is missing"}));
  CHECK(has(l, {"spec.jwtRules[0].fromCookies[0]: empty value not allowed"}));
  CHECK(has(l, {"spec.jwtRules[1].jwksUri: jwksUri \"ftp://a/keys\" must be an http:// or https:// URL"}));
  CHECK(has(l, {"spec.jwtRules[1].jwks: only one of jwks and jwksUri may be set"}));
  CHECK(has(l, {"spec.jwtRules[2].jwks: jwks is not valid JSON"}));
  CHECK(has(l, {"spec.jwtRules[2].timeout: duration \"0s\" must be at least 1ms"}));
  CHECK(has(l, {"outputClaimToHeaders[0]: \"bad header\" is not a valid HTTP header name"}));
  CHECK(has(l, {"outputClaimToHeaders[1]: header: required field is missing"}));
  CHECK(has(l, {"spec.jwtRules[2].forwardOriginalToken: expected a boolean"}));
  CHECK(l.diags.error_count() == 11);
}

TEST_CASE("security specs of the wrong type and unknown fields are errors") {
  auto l = load("RequestAuthentication", "  - a\n");
  CHECK(has(l, {"s.yaml:7:3:", "spec: expected a map, got a list"}));
  l = load("PeerAuthentication", "  mtls: STRICT\n  mode: STRICT\n");
  CHECK(has(l, {"spec.mtls: expected a map, got a scalar"}));
  CHECK(has(l, {"s.yaml:8:3:", "spec.mode: unknown field \"mode\""}));
  l = load("AuthorizationPolicy", "  rules: {from: []}\n");
  CHECK(has(l, {"spec.rules: expected a list, got a map"}));
}
