// Decoding of networking.istio.io kinds: field values land in the structs,
// every served apiVersion decodes the same, positions are kept. Validation
// rules are covered by the fixtures (test/fixtures/model/invalid/networking).
#include <doctest/doctest.h>

#include "core/model/load.h"

using namespace mesh::model;
using namespace std::chrono_literals;

namespace {

ConfigSet load_ok(const std::string& text) {
  ConfigSet out;
  Diagnostics diags;
  load_text(text, "t.yaml", {}, out, diags);
  for (const Diagnostic& d : diags.items()) {
    if (d.severity == Severity::kError) FAIL_CHECK(d.format());
  }
  return out;
}

std::string with_version(const std::string& version, const std::string& kind, const std::string& spec) {
  return "apiVersion: networking.istio.io/" + version + "\nkind: " + kind +
         "\nmetadata: {name: x, namespace: prod}\nspec:\n" + spec;
}

const char* kVirtualService = R"yaml(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: prod}
spec:
  hosts: [reviews]
  gateways: [mesh, istio-system/public]
  exportTo: ["."]
  http:
  - name: main
    match:
    - name: m
      uri: {prefix: /api}
      scheme: {exact: https}
      method: {regex: "GET|HEAD"}
      authority: {prefix: shop}
      headers: {X-User: {exact: jason}, X-Present: {}}
      withoutHeaders: {X-Debug: {regex: "*"}}
      queryParams: {Page: {regex: "[0-9]+"}}
      ignoreUriCase: true
      port: 8080
      sourceLabels: {app: web}
      sourceNamespace: front
      gateways: [mesh]
      statPrefix: api
    route:
    - destination: {host: reviews, subset: v2, port: {number: 9080}}
      weight: 30
      headers:
        request: {set: {X-A: "1"}, add: {x-b: "2"}, remove: [X-C]}
        response: {remove: [x-d]}
    - destination: {host: reviews, subset: v1}
      weight: 70
    timeout: 1.5s
    retries: {attempts: 3, perTryTimeout: 200ms, retryOn: "5xx,reset", retryRemoteLocalities: true}
    fault:
      delay: {fixedDelay: 2s, percent: 10}
      abort: {grpcStatus: UNAVAILABLE, percentage: {value: 0.5}}
    mirror: {host: shadow}
    mirrorPercentage: {value: 25}
    corsPolicy:
      allowOrigin: ["https://old.example.com"]
      allowOrigins: [{prefix: "https://"}]
      allowMethods: [GET]
      allowHeaders: [x-h]
      exposeHeaders: [x-e]
      maxAge: 1m
      allowCredentials: false
      unmatchedPreflights: IGNORE
    headers:
      request: {set: {":authority": new.example.com}}
  - redirect: {uri: /new, authority: b.example.com, derivePort: FROM_PROTOCOL_DEFAULT, scheme: https, redirectCode: 302}
  - directResponse: {status: 503, body: {bytes: aGVsbG8gd29ybGQ=}}
  - rewrite: {authority: c.example.com, uriRegexRewrite: {match: "^/old/(.*)", rewrite: "/\\1"}}
    mirrors:
    - destination: {host: m1}
      percentage: {value: 5}
    - destination: {host: m2}
    mirror_percent: 40
    route: [{destination: {host: reviews}}]
  - fault: {abort: {httpStatus: 418}}
    route: [{destination: {host: reviews}}]
    mirror: {host: shadow2}
    mirrorPercent: 15
  tls:
  - match: [{sniHosts: [reviews], port: 443, destinationSubnets: [10.0.0.0/8], sourceLabels: {a: b}, gateways: [mesh], sourceNamespace: ns1}]
    route: [{destination: {host: reviews}, weight: 100}]
  tcp:
  - match: [{port: 3306, sourceSubnet: 10.1.0.0/16, destinationSubnets: [10.2.0.1]}]
    route: [{destination: {host: db}}]
)yaml";

}  // namespace

TEST_CASE("VirtualService matches decode with lower-cased header names") {
  const ConfigSet set = load_ok(kVirtualService);
  REQUIRE(set.virtual_services.size() == 1);
  const VirtualService& vs = set.virtual_services[0];
  CHECK(vs.hosts == std::vector<std::string>{"reviews"});
  CHECK(vs.gateways == std::vector<std::string>{"mesh", "istio-system/public"});
  CHECK(vs.export_to == std::vector<std::string>{"."});
  REQUIRE(vs.http.size() == 5);
  const HTTPRoute& r = vs.http[0];
  CHECK(r.name == "main");
  REQUIRE(r.match.size() == 1);
  const HTTPMatchRequest& m = r.match[0];
  CHECK(m.name == "m");
  CHECK(m.uri->kind == StringMatch::Kind::kPrefix);
  CHECK(m.uri->value == "/api");
  CHECK(m.scheme->kind == StringMatch::Kind::kExact);
  CHECK(m.method->kind == StringMatch::Kind::kRegex);
  CHECK(m.authority->value == "shop");
  REQUIRE(m.headers.size() == 2);
  CHECK(m.headers[0].first == "x-user");
  CHECK(m.headers[0].second.value == "jason");
  CHECK(m.headers[1].first == "x-present");
  CHECK(m.headers[1].second.kind == StringMatch::Kind::kNone);
  REQUIRE(m.without_headers.size() == 1);
  CHECK(m.without_headers[0].first == "x-debug");
  CHECK(m.without_headers[0].second.value == "*");
  REQUIRE(m.query_params.size() == 1);
  CHECK(m.query_params[0].first == "Page");  // query parameters keep their case
  CHECK(m.ignore_uri_case);
  CHECK(m.port == 8080);
  CHECK(m.source_labels.at("app") == "web");
  CHECK(m.source_namespace == "front");
  CHECK(m.gateways == std::vector<std::string>{"mesh"});
  CHECK(m.stat_prefix == "api");
}

TEST_CASE("VirtualService route destinations, policies and mirrors decode") {
  const ConfigSet set = load_ok(kVirtualService);
  REQUIRE(set.virtual_services.size() == 1);
  const HTTPRoute& r = set.virtual_services[0].http[0];
  REQUIRE(r.route.size() == 2);
  CHECK(r.route[0].destination.host == "reviews");
  CHECK(r.route[0].destination.subset == "v2");
  CHECK(r.route[0].destination.port.number == 9080);
  CHECK(r.route[0].weight == 30);
  CHECK(r.route[0].headers.request.set == std::vector<std::pair<std::string, std::string>>{{"x-a", "1"}});
  CHECK(r.route[0].headers.request.add == std::vector<std::pair<std::string, std::string>>{{"x-b", "2"}});
  CHECK(r.route[0].headers.request.remove == std::vector<std::string>{"x-c"});
  CHECK(r.route[0].headers.response.remove == std::vector<std::string>{"x-d"});
  CHECK(r.route[1].weight == 70);
  CHECK(r.timeout == 1500ms);
  REQUIRE(r.retries);
  CHECK(r.retries->attempts == 3);
  CHECK(r.retries->per_try_timeout == 200ms);
  CHECK(r.retries->retry_on == "5xx,reset");
  CHECK(r.retries->retry_remote_localities == true);
  REQUIRE(r.fault);
  CHECK(r.fault->delay->fixed_delay == 2s);
  CHECK(r.fault->delay->percentage == 10.0);  // from the deprecated integer `percent`
  CHECK(r.fault->abort->grpc_status == "UNAVAILABLE");
  CHECK(r.fault->abort->percentage == 0.5);
  REQUIRE(r.mirrors.size() == 1);
  CHECK(r.mirrors[0].destination.host == "shadow");
  CHECK(r.mirrors[0].percentage == 25.0);
  REQUIRE(r.cors_policy);
  REQUIRE(r.cors_policy->allow_origins.size() == 2);
  CHECK(r.cors_policy->allow_origins[0].kind == StringMatch::Kind::kExact);
  CHECK(r.cors_policy->allow_origins[0].value == "https://old.example.com");
  CHECK(r.cors_policy->allow_origins[1].kind == StringMatch::Kind::kPrefix);
  CHECK(r.cors_policy->allow_methods == std::vector<std::string>{"GET"});
  CHECK(r.cors_policy->allow_headers == std::vector<std::string>{"x-h"});
  CHECK(r.cors_policy->expose_headers == std::vector<std::string>{"x-e"});
  CHECK(r.cors_policy->max_age == 60s);
  CHECK(r.cors_policy->allow_credentials == false);
  CHECK(r.cors_policy->unmatched_preflights == CorsPolicy::UnmatchedPreflights::kIgnore);
  CHECK(r.headers.request.set ==
        std::vector<std::pair<std::string, std::string>>{{":authority", "new.example.com"}});
}

TEST_CASE("VirtualService redirect, direct response, rewrite and mirror forms decode") {
  const ConfigSet set = load_ok(kVirtualService);
  REQUIRE(set.virtual_services.size() == 1);
  const auto& http = set.virtual_services[0].http;
  REQUIRE(http[1].redirect);
  CHECK(http[1].redirect->uri == "/new");
  CHECK(http[1].redirect->authority == "b.example.com");
  CHECK(http[1].redirect->derive_port == HTTPRedirect::DerivePort::kFromProtocolDefault);
  CHECK(http[1].redirect->scheme == "https");
  CHECK(http[1].redirect->redirect_code == 302);
  REQUIRE(http[2].direct_response);
  CHECK(http[2].direct_response->status == 503);
  CHECK(http[2].direct_response->body == "hello world");
  REQUIRE(http[3].rewrite);
  CHECK(http[3].rewrite->authority == "c.example.com");
  CHECK(http[3].rewrite->uri_regex_rewrite->match == "^/old/(.*)");
  CHECK(http[3].rewrite->uri_regex_rewrite->rewrite == "/\\1");
  REQUIRE(http[3].mirrors.size() == 2);
  CHECK(http[3].mirrors[0].percentage == 5.0);
  CHECK_FALSE(http[3].mirrors[1].percentage);
  REQUIRE(http[4].mirrors.size() == 1);
  CHECK(http[4].mirrors[0].destination.host == "shadow2");
  CHECK(http[4].mirrors[0].percentage == 15.0);  // deprecated mirrorPercent
  CHECK(http[4].fault->abort->http_status == 418);
  CHECK(http[4].fault->abort->percentage == 100.0);
}

TEST_CASE("VirtualService tls and tcp routes decode and positions are kept") {
  const ConfigSet set = load_ok(kVirtualService);
  REQUIRE(set.virtual_services.size() == 1);
  const VirtualService& vs = set.virtual_services[0];
  REQUIRE(vs.tls.size() == 1);
  const TLSMatchAttributes& t = vs.tls[0].match.at(0);
  CHECK(t.sni_hosts == std::vector<std::string>{"reviews"});
  CHECK(t.port == 443);
  CHECK(t.destination_subnets == std::vector<std::string>{"10.0.0.0/8"});
  CHECK(t.source_labels.at("a") == "b");
  CHECK(t.gateways == std::vector<std::string>{"mesh"});
  CHECK(t.source_namespace == "ns1");
  CHECK(vs.tls[0].route.at(0).weight == 100);
  REQUIRE(vs.tcp.size() == 1);
  CHECK(vs.tcp[0].match.at(0).port == 3306);
  CHECK(vs.tcp[0].match.at(0).source_subnet == "10.1.0.0/16");
  CHECK(vs.tcp[0].route.at(0).destination.host == "db");
  // Positions: http[0] starts at line 10, column 5; its first destination map at line 27.
  CHECK(vs.http[0].pos.line == 10);
  CHECK(vs.http[0].pos.col == 5);
  CHECK(vs.http[0].route[0].destination.pos.line == 27);
  CHECK(vs.http[0].match[0].uri->pos.line == 13);
}

TEST_CASE("DestinationRule fields decode, subsets keep positions") {
  const ConfigSet set = load_ok(with_version("v1", "DestinationRule", R"yaml(
  host: reviews.prod.svc.cluster.local
  exportTo: [prod]
  workloadSelector: {matchLabels: {app: reviews}}
  trafficPolicy:
    loadBalancer:
      consistentHash: {httpCookie: {name: s, path: /p, ttl: 10s}, ringHash: {minimumRingSize: 4096}}
      warmupDurationSecs: 60s
    connectionPool:
      tcp: {maxConnections: 5, connectTimeout: 2s, tcpKeepalive: {probes: 4, time: 10s, interval: 3s}}
      http: {http2MaxRequests: 7, maxRetries: 2, idleTimeout: 9s, h2UpgradePolicy: DO_NOT_UPGRADE, useClientProtocol: true}
    outlierDetection: {consecutiveErrors: 4, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 20}
    tls: {mode: SIMPLE, sni: r.example.com, insecureSkipVerify: true}
    portLevelSettings:
    - port: {number: 80}
      loadBalancer: {simple: LEAST_CONN}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy:
      loadBalancer: {consistentHash: {useSourceIp: true, maglev: {tableSize: 131}}}
  - name: v2
    labels: {version: v2}
    trafficPolicy: {loadBalancer: {consistentHash: {httpQueryParameterName: user}}}
)yaml"));
  REQUIRE(set.destination_rules.size() == 1);
  const DestinationRule& dr = set.destination_rules[0];
  CHECK(dr.host == "reviews.prod.svc.cluster.local");
  CHECK(dr.export_to == std::vector<std::string>{"prod"});
  CHECK(dr.workload_selector->match_labels.at("app") == "reviews");
  const TrafficPolicy& tp = *dr.traffic_policy;
  const ConsistentHashLB& ch = *tp.load_balancer->consistent_hash;
  CHECK(ch.key == ConsistentHashLB::Key::kCookie);
  CHECK(ch.cookie.name == "s");
  CHECK(ch.cookie.path == "/p");
  CHECK(ch.cookie.ttl == 10s);
  CHECK(ch.minimum_ring_size == 4096);
  CHECK(tp.load_balancer->warmup_duration == 60s);
  CHECK(tp.connection_pool->tcp.max_connections == 5);
  CHECK(tp.connection_pool->tcp.connect_timeout == 2s);
  CHECK(tp.connection_pool->tcp.tcp_keepalive->probes == 4);
  CHECK(tp.connection_pool->http.http2_max_requests == 7);
  CHECK(tp.connection_pool->http.h2_upgrade_policy == "DO_NOT_UPGRADE");
  CHECK(tp.connection_pool->http.use_client_protocol);
  CHECK(tp.outlier_detection->consecutive_5xx_errors == 4u);  // deprecated consecutiveErrors
  CHECK(tp.outlier_detection->base_ejection_time == 30s);
  CHECK(tp.outlier_detection->max_ejection_percent == 20);
  CHECK(tp.tls->mode == ClientTLSSettings::Mode::kSimple);
  CHECK(tp.tls->insecure_skip_verify == true);
  REQUIRE(tp.port_level_settings.size() == 1);
  CHECK(tp.port_level_settings[0].port.number == 80);
  CHECK(tp.port_level_settings[0].load_balancer->simple == LoadBalancerSettings::Simple::kLeastConn);
  REQUIRE(dr.subsets.size() == 2);
  CHECK(dr.subsets[0].labels.at("version") == "v1");
  const ConsistentHashLB& maglev = *dr.subsets[0].traffic_policy->load_balancer->consistent_hash;
  CHECK(maglev.key == ConsistentHashLB::Key::kSourceIp);
  CHECK(maglev.algorithm == ConsistentHashLB::Algorithm::kMaglev);
  CHECK(maglev.maglev_table_size == 131);
  CHECK(dr.subsets[1].traffic_policy->load_balancer->consistent_hash->query_parameter_name == "user");
  CHECK(dr.subsets[1].pos.line == 26);
  CHECK(dr.subsets[1].pos.col == 5);
}

TEST_CASE("Gateway fields decode, protocols upper-cased") {
  const ConfigSet set = load_ok(with_version("v1", "Gateway", R"yaml(
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: https}
    bind: 10.0.0.1
    hosts: ["prod/shop.example.com"]
    name: main
    defaultEndpoint: 127.0.0.1:8080
    tls:
      mode: OPTIONAL_MUTUAL
      credentialName: shop
      subjectAltNames: [a]
      minProtocolVersion: TLSV1_2
      maxProtocolVersion: TLSV1_3
      cipherSuites: [ECDHE-RSA-AES128-GCM-SHA256]
)yaml"));
  REQUIRE(set.gateways.size() == 1);
  const Gateway& gw = set.gateways[0];
  CHECK(gw.selector.at("istio") == "ingressgateway");
  REQUIRE(gw.servers.size() == 1);
  const Server& s = gw.servers[0];
  CHECK(s.port.number == 443);
  CHECK(s.port.protocol == "HTTPS");
  CHECK(s.port.name == "https");
  CHECK(s.bind == "10.0.0.1");
  CHECK(s.hosts == std::vector<std::string>{"prod/shop.example.com"});
  CHECK(s.name == "main");
  CHECK(s.default_endpoint == "127.0.0.1:8080");
  CHECK(s.tls->mode == ServerTLSSettings::Mode::kOptionalMutual);
  CHECK(s.tls->credential_name == "shop");
  CHECK(s.tls->min_protocol_version == "TLSV1_2");
  CHECK(s.tls->max_protocol_version == "TLSV1_3");
  CHECK(s.tls->cipher_suites.size() == 1);
}

TEST_CASE("ServiceEntry and WorkloadEntry fields decode") {
  const ConfigSet set =
      load_ok(with_version("v1", "ServiceEntry", R"yaml(
  hosts: [db.example.com]
  addresses: [10.1.0.0/16]
  ports: [{number: 5432, name: tcp-pg, protocol: tcp, targetPort: 15432}]
  location: MESH_INTERNAL
  resolution: STATIC
  endpoints:
  - {address: 10.1.0.5, ports: {tcp-pg: 6432}, labels: {v: a}, network: n1, locality: r/z, weight: 3, serviceAccount: sa}
  exportTo: ["*"]
  subjectAltNames: [spiffe://td/ns/prod/sa/db]
)yaml") + "---\n" +
              with_version("v1", "WorkloadEntry",
                           "  address: 10.9.9.9\n  ports: {http: 80}\n  serviceAccount: vm\n"));
  REQUIRE(set.service_entries.size() == 1);
  const ServiceEntry& se = set.service_entries[0];
  CHECK(se.hosts == std::vector<std::string>{"db.example.com"});
  CHECK(se.addresses == std::vector<std::string>{"10.1.0.0/16"});
  REQUIRE(se.ports.size() == 1);
  CHECK(se.ports[0].protocol == "TCP");
  CHECK(se.ports[0].target_port == 15432);
  CHECK(se.location == ServiceEntry::Location::kMeshInternal);
  CHECK(se.resolution == ServiceEntry::Resolution::kStatic);
  REQUIRE(se.endpoints.size() == 1);
  CHECK(se.endpoints[0].ports.at("tcp-pg") == 6432);
  CHECK(se.endpoints[0].locality == "r/z");
  CHECK(se.endpoints[0].weight == 3);
  CHECK(se.endpoints[0].service_account == "sa");
  CHECK(se.export_to == std::vector<std::string>{"*"});
  CHECK(se.subject_alt_names.size() == 1);
  REQUIRE(set.workload_entries.size() == 1);
  CHECK(set.workload_entries[0].spec.address == "10.9.9.9");
  CHECK(set.workload_entries[0].spec.ports.at("http") == 80);
  CHECK(set.workload_entries[0].spec.service_account == "vm");
}

TEST_CASE("Sidecar fields decode") {
  const ConfigSet set = load_ok(with_version("v1", "Sidecar", R"yaml(
  workloadSelector: {labels: {app: r}}
  ingress:
  - port: {number: 9080, protocol: HTTP, name: http}
    bind: 0.0.0.0
    captureMode: NONE
    defaultEndpoint: "[::1]:8080"
    connectionPool: {tcp: {maxConnections: 3}}
  egress:
  - port: {number: 80, protocol: HTTP, name: web}
    hosts: ["./*"]
  - hosts: ["*/*"]
  outboundTrafficPolicy: {mode: ALLOW_ANY, egressProxy: {host: proxy.example.com, port: {number: 3128}}}
  inboundConnectionPool: {http: {http1MaxPendingRequests: 9}}
)yaml"));
  REQUIRE(set.sidecars.size() == 1);
  const Sidecar& sc = set.sidecars[0];
  CHECK(sc.workload_selector->match_labels.at("app") == "r");
  REQUIRE(sc.ingress.size() == 1);
  CHECK(sc.ingress[0].port.number == 9080);
  CHECK(sc.ingress[0].capture_mode == "NONE");
  CHECK(sc.ingress[0].default_endpoint == "[::1]:8080");
  CHECK(sc.ingress[0].connection_pool->tcp.max_connections == 3);
  REQUIRE(sc.egress.size() == 2);
  CHECK(sc.egress[0].port->name == "web");
  CHECK_FALSE(sc.egress[1].port);
  CHECK(sc.outbound_traffic_policy->egress_proxy->port.number == 3128);
  CHECK(sc.inbound_connection_pool->http.http1_max_pending_requests == 9);
}

TEST_CASE("all served networking versions decode the same") {
  const std::pair<const char*, const char*> kinds[] = {
      {"VirtualService",
       "  hosts: [a]\n  http: [{route: [{destination: {host: a, subset: v1}, weight: 100}]}]\n"},
      {"DestinationRule", "  host: a\n  subsets: [{name: v1, labels: {v: '1'}}]\n"},
      {"Gateway", "  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]\n"},
      {"ServiceEntry",
       "  hosts: [a.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: "
       "DNS\n"},
      {"WorkloadEntry", "  address: 10.0.0.1\n"},
      {"Sidecar", "  egress: [{hosts: ['./*']}]\n"},
  };
  for (const auto& [kind, spec] : kinds) {
    CAPTURE(kind);
    std::string all;
    for (const char* version : {"v1", "v1beta1", "v1alpha3"})
      all += with_version(version, kind, spec) + "---\n";
    const ConfigSet set = load_ok(all);
    const std::string k = kind;
    if (k == "VirtualService") {
      REQUIRE(set.virtual_services.size() == 3);
      for (const auto& vs : set.virtual_services) CHECK(vs.http.at(0).route.at(0).destination.subset == "v1");
    } else if (k == "DestinationRule") {
      REQUIRE(set.destination_rules.size() == 3);
      for (const auto& dr : set.destination_rules) CHECK(dr.subsets.at(0).labels.at("v") == "1");
    } else if (k == "Gateway") {
      REQUIRE(set.gateways.size() == 3);
      for (const auto& gw : set.gateways) CHECK(gw.servers.at(0).port.protocol == "HTTP");
    } else if (k == "ServiceEntry") {
      REQUIRE(set.service_entries.size() == 3);
      for (const auto& se : set.service_entries) CHECK(se.resolution == ServiceEntry::Resolution::kDns);
    } else if (k == "WorkloadEntry") {
      REQUIRE(set.workload_entries.size() == 3);
      for (const auto& we : set.workload_entries) CHECK(we.spec.address == "10.0.0.1");
    } else {
      REQUIRE(set.sidecars.size() == 3);
      for (const auto& sc : set.sidecars) CHECK(sc.egress.at(0).hosts.at(0) == "./*");
    }
  }
}

TEST_CASE("decoding continues after errors and reports each one") {
  ConfigSet out;
  Diagnostics diags;
  load_text(with_version("v1", "VirtualService", R"yaml(
  hosts: [a]
  http:
  - route: [{destination: {host: a}, weight: -1}]
    timeout: 5x
  - route: [{destination: {host: b}}]
    bogus: 1
)yaml"),
            "e.yaml", {}, out, diags);
  CHECK(diags.error_count() == 3);
  REQUIRE(out.virtual_services.size() == 1);
  REQUIRE(out.virtual_services[0].http.size() == 2);
  CHECK(out.virtual_services[0].http[1].route.at(0).destination.host == "b");
}
