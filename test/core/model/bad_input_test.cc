// Bad input of every shape ends as diagnostics with positions, never as a crash,
// an escaped exception or a hang.
#include <chrono>
#include <regex>

#include <doctest/doctest.h>

#include "core/model/analyze.h"
#include "core/model/load.h"

using namespace mesh::model;

namespace {

// One valid object of each security and Kubernetes kind.
constexpr const char* kAllKinds = R"(apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: pa, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  mtls: {mode: STRICT}
  portLevelMtls: {8080: {mode: PERMISSIVE}}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ap, namespace: shop}
spec:
  action: DENY
  rules:
  - from: [{source: {namespaces: [evil], ipBlocks: [10.0.0.0/8]}}]
    to: [{operation: {methods: [POST], ports: ["8080"]}}]
    when: [{key: "request.headers[x-a]", values: [b]}]
---
apiVersion: security.istio.io/v1beta1
kind: RequestAuthentication
metadata: {name: ra, namespace: shop}
spec:
  jwtRules:
  - issuer: https://issuer
    jwksUri: https://issuer/jwks
    fromHeaders: [{name: x-jwt, prefix: "Bearer "}]
    timeout: 2s
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: web, ports: [{containerPort: 8080}]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: shop, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints: [{addresses: [10.0.0.1], conditions: {ready: true}}]
ports: [{name: http, port: 8080}]
)";

struct Result {
  ConfigSet config;
  Diagnostics diags;
};

// Loads and analyzes; fails the test if an exception escapes or an error lacks a position.
Result load(std::string_view text, LoadOptions options = {}) {
  Result r;
  CHECK_NOTHROW(load_text(text, "bad.yaml", options, r.config, r.diags));
  CHECK_NOTHROW(analyze(r.config, r.diags));
  for (const auto& d : r.diags.items()) {
    if (d.severity != Severity::kError) continue;
    INFO(d.format());
    CHECK(d.file == "bad.yaml");
    CHECK(d.pos.line >= 1);
    CHECK(!d.message.empty());
  }
  return r;
}

bool mentions(const Result& r, std::string_view text) {
  for (const auto& d : r.diags.items()) {
    if (d.format().find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("the sample of every kind is valid") {
  const Result r = load(kAllKinds);
  CHECK_FALSE(r.diags.has_errors());
  CHECK(r.config.peer_authentications.size() == 1);
  CHECK(r.config.authorization_policies.size() == 1);
  CHECK(r.config.request_authentications.size() == 1);
  CHECK(r.config.services.size() == 1);
  CHECK(r.config.workloads.size() == 1);
  CHECK(r.config.endpoint_slices.size() == 1);
}

TEST_CASE("truncated at every byte: errors with positions, never a crash") {
  const std::string_view all(kAllKinds);
  size_t with_errors = 0;
  for (size_t cut = 1; cut < all.size(); cut += 3) {
    const Result r = load(all.substr(0, cut));
    if (r.diags.has_errors()) ++with_errors;
  }
  CHECK(with_errors > 0);
}

TEST_CASE("a wrong type in every value position") {
  // Replace the value of each `key: value` line, one line at a time.
  const std::string all(kAllKinds);
  const std::regex value_line(R"(^(\s*-?\s*[A-Za-z][\w.]*: )(.+)$)");
  std::vector<std::string> lines;
  for (size_t begin = 0; begin < all.size();) {
    const size_t end = all.find('\n', begin);
    lines.push_back(all.substr(begin, end - begin));
    begin = end + 1;
  }
  size_t mutated = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    if (!std::regex_match(lines[i], m, value_line) || m[1].str().find("apiVersion") != std::string::npos)
      continue;
    for (const char* replacement : {"[1, [2]]", "{deep: {x: 1}}", "99999999999999999999999", "\"\"", "~"}) {
      std::string text;
      for (size_t j = 0; j < lines.size(); ++j) text += (j == i ? m[1].str() + replacement : lines[j]) + "\n";
      load(text);
      ++mutated;
    }
  }
  CHECK(mutated > 100);
}

TEST_CASE("wrong types are reported at their field") {
  const Result r = load(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: many\n"
      "  template: {spec: {containers: [{name: a, ports: [{containerPort: 99999999999999999999}]}]}}\n"
      "---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p}\n"
      "spec: {mtls: [STRICT], portLevelMtls: {4294967296: {}}}\n");
  CHECK(mentions(r, "bad.yaml:5:13: Deployment/default/d: spec.replicas: expected a 32-bit integer"));
  CHECK(mentions(r, "containerPort: 99999999999999999999 is out of range"));
  CHECK(mentions(r, "bad.yaml:11:14: PeerAuthentication/default/p: spec.mtls: expected a map, got a list"));
  CHECK(mentions(r, "spec.portLevelMtls.4294967296: 4294967296 is out of range"));
}

TEST_CASE("binary data, empty input and comments only") {
  Result r = load(std::string("apiVersion: v1\nkind: Pod\n\0\xff\xfe", 27));
  CHECK(mentions(r, "bad.yaml:3:1: input contains binary data"));
  r = load("\xff\xfe\x80garbage: [\x01\x02");
  CHECK(r.diags.has_errors());
  // Nothing to load is worth a warning (a wrong path or an emptied file), not an error.
  for (const char* text : {"", "# just a comment\n# and another\n---\n# more\n", "---\n...\n",
                           "apiVersion: v1\nkind: List\nitems: []\n"}) {
    CAPTURE(text);
    r = load(text);
    CHECK_FALSE(r.diags.has_errors());
    REQUIRE(r.diags.items().size() == 1);
    CHECK(r.diags.items()[0].format() == "bad.yaml: warning: no objects found");
    CHECK(r.config.pods.empty());
  }
}

TEST_CASE("deeply nested flow and block documents") {
  std::string flow = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {selector: ";
  flow += std::string(50000, '{') + std::string(50000, '}') + "}\n";
  Result r = load(flow);
  CHECK(r.diags.has_errors());
  std::string block =
      "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\nspec:\n";
  for (int depth = 1; depth < 5000; ++depth) block += std::string(static_cast<size_t>(depth), ' ') + "- \n";
  r = load(block);
  CHECK(r.diags.has_errors());
  std::string lists = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: ";
  lists += std::string(3000, '[') + std::string(3000, ']') + "}\n";
  r = load(lists);
  CHECK(r.diags.has_errors());
}

TEST_CASE("a 10 MB document loads in bounded time; larger than the limit is refused") {
  std::string big =
      "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: big}\nspec:\n  rules:\n"
      "  - from:\n    - source:\n        principals:\n";
  while (big.size() < 10u << 20) big += "        - cluster.local/ns/default/sa/account-with-a-long-name\n";
  const auto start = std::chrono::steady_clock::now();
  Result r = load(big);
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK_FALSE(r.diags.has_errors());
  REQUIRE(r.config.authorization_policies.size() == 1);
  CHECK(r.config.authorization_policies[0].rules[0].from[0].principals.size() > 150000);
  CHECK(seconds < 60);
  LoadOptions small;
  small.max_file_bytes = 1 << 20;
  r = load(big, small);
  CHECK(mentions(r, "bad.yaml:1:1: input is 10"));
}

TEST_CASE("huge and odd numbers") {
  const Result r = load(
      "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n"
      "  - {name: a, port: 1e3}\n  - {name: b, port: -80}\n  - {name: c, port: 0x50}\n"
      "  - {name: d, port: 80.0}\n  - {name: e, port: 184467440737095516161844674407370955161}\n");
  CHECK(r.diags.error_count() == 5);
  CHECK(mentions(
      r,
      "bad.yaml:10:21: Service/default/s: spec.ports[4].port: 184467440737095516161844674407370955161 "
      "is out of range"));
}

TEST_CASE("inputs that make yaml-cpp 0.7's LoadAll loop forever are errors") {
  // Found by test/fuzz/fuzz_config: a broken JSON document, and a lone comma.
  const Result r = load(
      "{\n  \"apiVersion\": \"apps/v1\",\n  \"kind\": \"Deployment\",\n"
      "  \"metadata\": {\"name\": \"web\"},\n  \"spec\": {\n    \"replicasb\", \"version\": \"1.0\"}},\n"
      "      \"spec\": {\"containers\": []}\n    }\n  }\n}\n");
  CHECK(r.config.workloads.size() <= 1);
  load("\n,\n");
  load(",");
}
