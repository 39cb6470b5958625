// The wire codec: every golden ProxyConfig and a config using every policy kind
// survive encode -> decode -> encode unchanged; bad snapshots give an error
// naming the field, never a crash; frames split and join across reads.
#include "core/xds/config_codec.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

#include "core/model/load.h"
#include "core/route/matcher.h"
#include "core/translate/translate.h"
#include "core/xds/messages.h"

using namespace mesh;
namespace fs = std::filesystem;

namespace {

fs::path source_root() {
  const char* root = std::getenv("MESH_SOURCE_ROOT");
  return root ? fs::path(root) : fs::current_path();
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Uses regexes, CORS, faults, mirrors, rewrites, redirects, direct responses,
// consistent hashing, connection pools, outlier detection and client TLS.
const char* kRichConfig = R"yaml(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: default, labels: {app: web, version: v1}}
spec: {containers: [{name: web, ports: [{containerPort: 8080}]}]}
status: {podIP: 10.0.0.7}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: default}
spec:
  host: web
  trafficPolicy:
    loadBalancer: {consistentHash: {httpHeaderName: x-user, minimumRingSize: 2048}}
    connectionPool:
      tcp: {maxConnections: 10, connectTimeout: 2s}
      http: {http1MaxPendingRequests: 5, maxRetries: 3, idleTimeout: 30s}
    outlierDetection: {consecutive5xxErrors: 4, interval: 10s, baseEjectionTime: 1m, maxEjectionPercent: 50}
    tls: {mode: SIMPLE, sni: web.example.com, subjectAltNames: [web]}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: default}
spec:
  hosts: [web]
  http:
  - name: regex
    match:
    - uri: {regex: "/api/v[0-9]+/.*"}
      headers: {x-team: {prefix: blue}}
      withoutHeaders: {x-debug: {}}
      queryParams: {q: {exact: "1"}}
      method: {exact: GET}
    rewrite: {uriRegexRewrite: {match: "^/api/(.*)", rewrite: "/\\1"}, authority: api.local}
    route:
    - destination: {host: web, subset: v1, port: {number: 8080}}
      weight: 80
      headers: {request: {set: {x-a: "1"}, add: {x-b: "2"}, remove: [x-c]}}
    - destination: {host: web, port: {number: 8080}}
      weight: 20
    timeout: 3s
    retries: {attempts: 3, perTryTimeout: 1s, retryOn: "5xx,reset"}
    mirror: {host: web}
    mirrorPercentage: {value: 25.5}
    fault:
      delay: {fixedDelay: 2s, percentage: {value: 10}}
      abort: {httpStatus: 503, percentage: {value: 1.5}}
    corsPolicy:
      allowOrigins: [{exact: "https://a.example"}, {regex: "https://.*[.]b[.]example"}]
      allowMethods: [GET, POST]
      allowCredentials: true
      maxAge: 24h
  - name: moved
    match: [{uri: {exact: /old}, ignoreUriCase: true}]
    redirect: {uri: /new, redirectCode: 308, derivePort: FROM_REQUEST_PORT}
  - name: teapot
    match: [{uri: {prefix: /tea}}]
    directResponse: {status: 418, body: {string: "short and stout"}}
  - route: [{destination: {host: web}}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec:
  selector: {app: db}
  ports: [{name: tcp-db, port: 5432}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db, namespace: default}
spec:
  hosts: [db]
  tcp:
  - route:
    - destination: {host: db}
      weight: 70
    - destination: {host: web, port: {number: 8080}}
      weight: 30
)yaml";

std::shared_ptr<const pc::ProxyConfig> translate_text(const char* yaml) {
  model::ConfigSet config;
  model::Diagnostics diags;
  model::load_text(yaml, "rich.yaml", model::LoadOptions{}, config, diags);
  for (const auto& d : diags.items()) INFO(d.format());
  REQUIRE_FALSE(diags.has_errors());
  auto reg = registry::Registry::build(config);
  pc::ProxyIdentity proxy;
  proxy.name = "client";
  proxy.labels = {{"app", "client"}};
  return translate::translate(config, reg, proxy);
}

}  // namespace

TEST_CASE("every golden ProxyConfig survives decode and encode byte for byte") {
  int seen = 0;
  for (const auto& entry : fs::directory_iterator(source_root() / "test/golden/translate")) {
    const std::string text = read(entry.path());
    std::string error;
    auto config = xds::decode_config(text, error);
    INFO(entry.path().string() << ": " << error);
    REQUIRE(config);
    CHECK(translate::to_json(*config) == text);
    ++seen;
  }
  CHECK(seen >= 10);
}

TEST_CASE("a config with every policy kind round-trips, regexes recompiled and hosts indexed") {
  auto original = translate_text(kRichConfig);
  const std::string wire = xds::encode_config(*original);
  CHECK(wire.find("\"regex\"") != std::string::npos);
  CHECK(wire.find("consistentHash") != std::string::npos);
  CHECK(wire.find("tcpWeightedClusters") != std::string::npos);
  std::string error;
  auto decoded = xds::decode_config(wire, error);
  INFO(error);
  REQUIRE(decoded);
  CHECK(xds::encode_config(*decoded) == wire);
  CHECK(xds::content_hash(*decoded) == xds::content_hash(*original));
  // The decoded config routes like the original: the regex and the domain index work.
  const pc::RouteTable* table = decoded->find_route_table("8080");
  REQUIRE(table);
  CHECK(table->exact_domains.count("web") == 1);
  const pc::Route& regex_route = table->virtual_hosts[table->exact_domains.at("web")].routes[0];
  REQUIRE(regex_route.matches.at(0).uri->regex);
  CHECK(RE2::FullMatch("/api/v2/x", *regex_route.matches[0].uri->regex));
}

TEST_CASE("the content hash ignores the version and sees every other change") {
  auto config = std::make_shared<pc::ProxyConfig>(*translate_text(kRichConfig));
  const uint64_t hash = xds::content_hash(*config);
  config->version = 99;
  CHECK(xds::content_hash(*config) == hash);
  auto with_endpoints = std::find_if(config->clusters.begin(), config->clusters.end(),
                                    [](const pc::Cluster& c) { return !c.endpoints.empty(); });
  REQUIRE(with_endpoints != config->clusters.end());
  with_endpoints->endpoints.mutable_at(0).port = 1;
  CHECK(xds::content_hash(*config) != hash);
}

TEST_CASE("bad snapshots are refused with the field that is wrong") {
  auto refused = [](const std::string& json) {
    std::string error;
    auto c = xds::decode_config(json, error);
    CHECK_FALSE(c);
    return error;
  };
  CHECK(refused("{not json") == "not valid JSON");
  CHECK(refused("[1,2]") == "expected a ProxyConfig object");
  CHECK(refused(R"({"version":"one"})") == "version: expected a non-negative integer");
  CHECK(refused(R"({"listeners":[{"protocol":"QUIC"}]})") == "listeners[0].protocol: unknown value \"QUIC\"");
  CHECK(refused(R"({"routeTables":[{"name":"80","virtualHosts":[{"routes":[{"matches":[{"uri":)"
                R"({"kind":"regex","value":"(unclosed"}}]}]}]}]})")
            .starts_with("routeTables[0].virtualHosts[0].routes[0].matches[0].uri.value: bad regex"));
  CHECK(refused(R"({"clusters":[{"endpoints":[{"port":70000000000}]}]})") == "clusters[0].endpoints[0].port: out of range");
  CHECK(refused(R"({"routeTables":[{"virtualHosts":[{"routes":[{"action":{}}]}]}]})") ==
        "routeTables[0].virtualHosts[0].routes[0].action: expected forward, redirect or directResponse");
  std::string error;
  CHECK(xds::decode_config("{}", error));  // missing fields keep their defaults
}

TEST_CASE("messages: hello, snapshot, ack and nack round-trip; garbage is invalid") {
  xds::Hello h;
  h.name = "reviews-v1-0";
  h.ns = "bookinfo";
  h.labels = {{"app", "reviews"}};
  h.ip = "10.1.0.4";
  h.ports = {{"http", 9080}};
  h.version = 7;
  xds::Message m = xds::decode_message(xds::encode_hello(h));
  REQUIRE(m.type == xds::Message::Type::kHello);
  CHECK(m.hello.name == "reviews-v1-0");
  CHECK(m.hello.labels.at("app") == "reviews");
  CHECK(m.hello.ports.at(0).number == 9080);
  CHECK(m.hello.version == 7);
  m = xds::decode_message(xds::encode_snapshot(5, xds::encode_config(*translate_text(kRichConfig))));
  REQUIRE(m.type == xds::Message::Type::kSnapshot);
  CHECK(m.version == 5);
  CHECK(m.config);
  m = xds::decode_message(xds::encode_snapshot(6, R"({"listeners":7})"));
  CHECK(m.type == xds::Message::Type::kSnapshot);
  CHECK_FALSE(m.config);
  CHECK(m.config_error == "listeners: expected a list");
  m = xds::decode_message(xds::encode_nack(6, "no \xff route"));
  CHECK(m.type == xds::Message::Type::kNack);
  CHECK(m.version == 6);
  CHECK(xds::decode_message(xds::encode_ack(6)).type == xds::Message::Type::kAck);
  CHECK(xds::decode_message("{\"type\":\"bogus\"}").type == xds::Message::Type::kInvalid);
  CHECK(xds::decode_message("\x01\x02").type == xds::Message::Type::kInvalid);
  CHECK(xds::decode_message(R"({"type":"hello"})").error == "hello needs a name and a namespace");
}

TEST_CASE("frames are reassembled across reads; oversized frames break the stream") {
  const std::string wire = xds::frame("abc") + xds::frame("") + xds::frame(std::string(70000, 'x'));
  xds::FrameReader reader;
  std::vector<std::string> got;
  std::string payload;
  for (size_t i = 0; i < wire.size(); i += 7) {
    reader.feed(wire.data() + i, std::min<size_t>(7, wire.size() - i));
    while (reader.next(payload)) got.push_back(payload);
  }
  REQUIRE(got.size() == 3);
  CHECK(got[0] == "abc");
  CHECK(got[1].empty());
  CHECK(got[2].size() == 70000);
  CHECK(reader.empty());
  xds::FrameReader bad;
  bad.feed("\x7f\xff\xff\xff", 4);
  CHECK_FALSE(bad.next(payload));
  CHECK(bad.failed());
}
