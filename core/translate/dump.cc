// ProxyConfig as JSON, keys in a fixed order, written straight into a string
// (JsonWriter gives nlohmann's exact text). dump_yaml.cc derives YAML from it.
#include <utility>

#include "core/model/decode.h"
#include "core/translate/dump_parts.h"
#include "core/translate/json_writer.h"
#include "core/translate/translate.h"

namespace mesh::translate {
namespace {

const char* kind_name(pc::StringMatcher::Kind k) {
  switch (k) {
    case pc::StringMatcher::Kind::kExact:
      return "exact";
    case pc::StringMatcher::Kind::kPrefix:
      return "prefix";
    case pc::StringMatcher::Kind::kRegex:
      return "regex";
    case pc::StringMatcher::Kind::kPresent:
      break;
  }
  return "present";
}

using detail::JsonWriter;

void duration(JsonWriter& w, std::string_view key, const std::optional<model::Duration>& d) {
  w.key(key);
  if (d) {
    w.value(model::format_duration(*d));
  } else {
    w.value(nullptr);
  }
}

template <class T>
void opt(JsonWriter& w, std::string_view key, const std::optional<T>& v) {
  w.key(key);
  if (v) {
    w.value(*v);
  } else {
    w.value(nullptr);
  }
}

void matcher(JsonWriter& w, const pc::StringMatcher& m) {
  w.begin_object();
  w.field("kind", kind_name(m.kind));
  w.field("value", m.value);
  if (m.ignore_case) w.field("ignoreCase", true);
  w.end_object();
}

void opt_matcher(JsonWriter& w, std::string_view key, const std::optional<pc::StringMatcher>& m) {
  w.key(key);
  if (m) {
    matcher(w, *m);
  } else {
    w.value(nullptr);
  }
}

void match(JsonWriter& w, const pc::RouteMatch& m) {
  w.begin_object();
  w.field("name", m.name);
  opt_matcher(w, "uri", m.uri);
  opt_matcher(w, "scheme", m.scheme);
  opt_matcher(w, "method", m.method);
  opt_matcher(w, "authority", m.authority);
  w.key("headers");
  w.begin_array();
  for (const auto& h : m.headers) {
    w.begin_object();
    w.field("name", h.name);
    w.key("match");
    matcher(w, h.match);
    w.field("invert", h.invert);
    w.end_object();
  }
  w.end_array();
  w.key("queryParams");
  w.begin_array();
  for (const auto& q : m.query_params) {
    w.begin_object();
    w.field("name", q.name);
    w.key("match");
    matcher(w, q.match);
    w.end_object();
  }
  w.end_array();
  w.field("port", m.port);
  w.end_object();
}

void name_values(JsonWriter& w, std::string_view key,
                 const std::vector<std::pair<std::string, std::string>>& list) {
  w.key(key);
  w.begin_array();
  for (const auto& [k, v] : list) {
    w.begin_object();
    w.field("name", k);
    w.field("value", v);
    w.end_object();
  }
  w.end_array();
}

void header_ops(JsonWriter& w, std::string_view key, const pc::HeaderOps& h) {
  w.key(key);
  w.begin_object();
  name_values(w, "set", h.set);
  name_values(w, "add", h.add);
  w.field("remove", h.remove);
  w.end_object();
}

void weighted_cluster(JsonWriter& w, const pc::WeightedCluster& c) {
  w.begin_object();
  w.field("cluster", c.cluster);
  w.field("host", c.host);
  w.field("port", c.port);
  w.field("subset", c.subset);
  w.field("weight", c.weight);
  header_ops(w, "requestHeaders", c.request_headers);
  header_ops(w, "responseHeaders", c.response_headers);
  w.end_object();
}

void rewrite(JsonWriter& w, const std::optional<pc::RewritePolicy>& r) {
  w.key("rewrite");
  if (!r) return w.value(nullptr);
  w.begin_object();
  w.field("uri", r->uri);
  w.field("authority", r->authority);
  w.key("uriRegex");
  if (r->uri_regex) {
    w.value(r->uri_regex->pattern());
  } else {
    w.value(nullptr);
  }
  w.field("uriRegexSubstitution", r->uri_regex_substitution);
  w.end_object();
}

void forward(JsonWriter& w, const pc::ForwardAction& f) {
  w.begin_object();
  w.key("clusters");
  w.begin_array();
  for (const auto& c : f.clusters) weighted_cluster(w, c);
  w.end_array();
  w.field("totalWeight", f.total_weight);
  duration(w, "timeout", f.timeout);
  w.key("retry");
  w.begin_object();
  w.field("attempts", f.retry.attempts);
  duration(w, "perTryTimeout", f.retry.per_try_timeout);
  w.field("retryOn", f.retry.retry_on);
  w.field("retriableStatusCodes", f.retry.retriable_status_codes);
  w.end_object();
  rewrite(w, f.rewrite);
  w.key("mirrors");
  w.begin_array();
  for (const auto& m : f.mirrors) {
    w.begin_object();
    w.field("cluster", m.cluster);
    w.field("host", m.host);
    w.field("percent", m.percent);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

const char* derive_port_name(model::HTTPRedirect::DerivePort d) {
  switch (d) {
    case model::HTTPRedirect::DerivePort::kFromProtocolDefault:
      return "FROM_PROTOCOL_DEFAULT";
    case model::HTTPRedirect::DerivePort::kFromRequestPort:
      return "FROM_REQUEST_PORT";
    case model::HTTPRedirect::DerivePort::kNone:
      break;
  }
  return "";
}

void action(JsonWriter& w, const pc::Route& r) {
  w.key("action");
  w.begin_object();
  if (const auto* f = std::get_if<pc::ForwardAction>(&r.action)) {
    w.key("forward");
    forward(w, *f);
  } else if (const auto* d = std::get_if<pc::RedirectAction>(&r.action)) {
    w.key("redirect");
    w.begin_object();
    w.field("scheme", d->scheme);
    w.field("authority", d->authority);
    w.field("port", d->port);
    w.field("derivePort", derive_port_name(d->derive_port));
    w.field("path", d->path);
    w.field("status", d->status);
    w.end_object();
  } else {
    const auto& dr = std::get<pc::DirectResponseAction>(r.action);
    w.key("directResponse");
    w.begin_object();
    w.field("status", dr.status);
    w.field("body", dr.body);
    w.end_object();
  }
  w.end_object();
}

void fault(JsonWriter& w, const std::optional<pc::FaultPolicy>& f) {
  w.key("fault");
  if (!f) return w.value(nullptr);
  w.begin_object();
  duration(w, "delay", f->delay);
  w.field("delayPercent", f->delay_percent);
  w.field("abortStatus", f->abort_status);
  w.field("abortPercent", f->abort_percent);
  w.end_object();
}

void cors(JsonWriter& w, const std::optional<pc::CorsPolicy>& c) {
  w.key("cors");
  if (!c) return w.value(nullptr);
  w.begin_object();
  w.key("allowOrigins");
  w.begin_array();
  for (const auto& o : c->allow_origins) matcher(w, o);
  w.end_array();
  w.field("allowMethods", c->allow_methods);
  w.field("allowHeaders", c->allow_headers);
  w.field("exposeHeaders", c->expose_headers);
  w.field("maxAge", c->max_age);
  opt(w, "allowCredentials", c->allow_credentials);
  w.field("forwardUnmatchedPreflights", c->forward_unmatched_preflights);
  w.end_object();
}

void route(JsonWriter& w, const pc::Route& r) {
  w.begin_object();
  w.field("name", r.name);
  w.field("virtualService", r.virtual_service);
  w.field("httpRouteIndex", r.http_route_index);
  w.key("matches");
  w.begin_array();
  for (const auto& m : r.matches) match(w, m);
  w.end_array();
  action(w, r);
  fault(w, r.fault);
  cors(w, r.cors);
  header_ops(w, "requestHeaders", r.request_headers);
  header_ops(w, "responseHeaders", r.response_headers);
  w.end_object();
}

void route_table(JsonWriter& w, const pc::RouteTable& t) {
  w.begin_object();
  w.field("name", t.name);
  w.key("virtualHosts");
  w.begin_array();
  for (const auto& v : t.virtual_hosts) {
    w.begin_object();
    w.field("name", v.name);
    w.field("domains", v.domains);
    w.key("routes");
    w.begin_array();
    for (const auto& r : v.routes) route(w, r);
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

const char* lb_name(model::LoadBalancerSettings::Simple s) {
  using S = model::LoadBalancerSettings::Simple;
  switch (s) {
    case S::kLeastConn:
      return "LEAST_CONN";
    case S::kRandom:
      return "RANDOM";
    case S::kPassthrough:
      return "PASSTHROUGH";
    case S::kRoundRobin:
      return "ROUND_ROBIN";
    case S::kLeastRequest:
      return "LEAST_REQUEST";
    case S::kUnspecified:
      break;
  }
  return "UNSPECIFIED";
}

void consistent_hash(JsonWriter& w, const std::optional<model::ConsistentHashLB>& hash) {
  static const char* kKeys[] = {"", "httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName"};
  w.key("consistentHash");
  if (!hash) return w.value(nullptr);
  const model::ConsistentHashLB& h = *hash;
  w.begin_object();
  w.field("key", kKeys[static_cast<int>(h.key)]);
  if (h.key == model::ConsistentHashLB::Key::kHeader) w.field("name", h.header_name);
  if (h.key == model::ConsistentHashLB::Key::kQueryParameter) w.field("name", h.query_parameter_name);
  if (h.key == model::ConsistentHashLB::Key::kCookie) {
    w.key("cookie");
    w.begin_object();
    w.field("name", h.cookie.name);
    w.field("path", h.cookie.path);
    duration(w, "ttl", h.cookie.ttl);
    w.end_object();
  }
  w.field("algorithm", h.algorithm == model::ConsistentHashLB::Algorithm::kMaglev ? "MAGLEV" : "RING_HASH");
  w.field("minimumRingSize", h.minimum_ring_size);
  w.field("maglevTableSize", h.maglev_table_size);
  w.end_object();
}

void connection_pool(JsonWriter& w, const std::optional<model::ConnectionPoolSettings>& pool) {
  w.key("connectionPool");
  if (!pool) return w.value(nullptr);
  const model::ConnectionPoolSettings& p = *pool;
  w.begin_object();
  w.key("tcp");
  w.begin_object();
  opt(w, "maxConnections", p.tcp.max_connections);
  duration(w, "connectTimeout", p.tcp.connect_timeout);
  duration(w, "maxConnectionDuration", p.tcp.max_connection_duration);
  duration(w, "idleTimeout", p.tcp.idle_timeout);
  w.end_object();
  w.key("http");
  w.begin_object();
  opt(w, "http1MaxPendingRequests", p.http.http1_max_pending_requests);
  opt(w, "http2MaxRequests", p.http.http2_max_requests);
  opt(w, "maxRequestsPerConnection", p.http.max_requests_per_connection);
  opt(w, "maxRetries", p.http.max_retries);
  duration(w, "idleTimeout", p.http.idle_timeout);
  w.field("h2UpgradePolicy", p.http.h2_upgrade_policy);
  w.field("useClientProtocol", p.http.use_client_protocol);
  opt(w, "maxConcurrentStreams", p.http.max_concurrent_streams);
  w.end_object();
  w.end_object();
}

void outlier(JsonWriter& w, const std::optional<model::OutlierDetection>& outlier) {
  w.key("outlierDetection");
  if (!outlier) return w.value(nullptr);
  const model::OutlierDetection& o = *outlier;
  w.begin_object();
  opt(w, "consecutive5xxErrors", o.consecutive_5xx_errors);
  opt(w, "consecutiveGatewayErrors", o.consecutive_gateway_errors);
  opt(w, "consecutiveLocalOriginFailures", o.consecutive_local_origin_failures);
  w.field("splitExternalLocalOriginErrors", o.split_external_local_origin_errors);
  duration(w, "interval", o.interval);
  duration(w, "baseEjectionTime", o.base_ejection_time);
  opt(w, "maxEjectionPercent", o.max_ejection_percent);
  opt(w, "minHealthPercent", o.min_health_percent);
  w.end_object();
}

void tls(JsonWriter& w, const std::optional<model::ClientTLSSettings>& tls) {
  static const char* kModes[] = {"DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"};
  w.key("tls");
  if (!tls) return w.value(nullptr);
  const model::ClientTLSSettings& t = *tls;
  w.begin_object();
  w.field("mode", kModes[static_cast<int>(t.mode)]);
  w.field("clientCertificate", t.client_certificate);
  w.field("privateKey", t.private_key);
  w.field("caCertificates", t.ca_certificates);
  w.field("credentialName", t.credential_name);
  w.field("subjectAltNames", t.subject_alt_names);
  w.field("sni", t.sni);
  opt(w, "insecureSkipVerify", t.insecure_skip_verify);
  w.end_object();
}

void endpoint(JsonWriter& w, const pc::Endpoint& e) {
  w.begin_object();
  w.field("address", e.address);
  w.field("port", e.port);
  w.field("labels", e.labels);
  w.field("pod", e.pod);
  w.field("serviceAccount", e.service_account);
  w.field("weight", e.weight);
  w.field("healthy", e.healthy);
  w.end_object();
}

void cluster_json(JsonWriter& w, const pc::Cluster& c) {
  w.begin_object();
  w.field("name", c.name);
  w.field("direction", c.direction == pc::Cluster::Direction::kInbound ? "inbound" : "outbound");
  w.field("serviceHost", c.service_host);
  w.field("port", c.port);
  w.field("subset", c.subset);
  w.key("loadBalancer");
  w.begin_object();
  w.field("simple", lb_name(c.load_balancer.simple));
  consistent_hash(w, c.load_balancer.consistent_hash);
  w.end_object();
  connection_pool(w, c.connection_pool);
  outlier(w, c.outlier_detection);
  tls(w, c.tls);
  w.field("passthrough", c.passthrough);
  w.key("endpoints");
  w.begin_array();
  for (const auto& e : c.endpoints) endpoint(w, e);
  w.end_array();
  w.end_object();
}

void listener_json(JsonWriter& w, const pc::Listener& l) {
  static const char* kProtocols[] = {"HTTP", "TCP", "TLS"};
  w.begin_object();
  w.field("name", l.name);
  w.field("address", l.address);
  w.field("port", l.port);
  w.field("protocol", kProtocols[static_cast<int>(l.protocol)]);
  w.field("routeTable", l.route_table);
  w.field("tcpCluster", l.tcp_cluster);
  if (!l.tcp_weighted.empty()) {  // only then: most listeners have one destination
    w.key("tcpWeightedClusters");
    w.begin_array();
    for (const pc::WeightedCluster& c : l.tcp_weighted) weighted_cluster(w, c);
    w.end_array();
  }
  w.end_object();
}

void proxy_json(JsonWriter& w, const pc::ProxyIdentity& p) {
  w.key("proxy");
  w.begin_object();
  w.field("type", p.type == pc::ProxyIdentity::Type::kGateway ? "gateway" : "sidecar");
  w.field("name", p.name);
  w.field("namespace", p.ns);
  w.field("labels", p.labels);
  w.field("serviceAccount", p.service_account);
  w.field("ip", p.ip);
  w.end_object();
}

void config_json(JsonWriter& w, const pc::ProxyConfig& c) {
  w.begin_object();
  w.field("version", c.version);
  proxy_json(w, c.proxy);
  w.field("outboundPolicy", detail::outbound_policy_name(c.outbound_policy));
  w.key("listeners");
  w.begin_array();
  for (const auto& l : c.listeners) listener_json(w, l);
  w.end_array();
  w.key("routeTables");
  w.begin_array();
  for (const auto& t : c.route_tables) route_table(w, t);
  w.end_array();
  w.key("clusters");
  w.begin_array();
  for (const auto& cl : c.clusters) cluster_json(w, cl);
  w.end_array();
  w.end_object();
}

}  // namespace

std::string to_json(const pc::ProxyConfig& config, int indent) {
  std::string out;
  out.reserve(1 << 16);
  JsonWriter w(out, indent);
  config_json(w, config);
  out += '\n';
  return out;
}

namespace detail {

void write_proxy(JsonWriter& w, const pc::ProxyIdentity& p) { proxy_json(w, p); }
void write_listener(JsonWriter& w, const pc::Listener& l) { listener_json(w, l); }
void write_route_table(JsonWriter& w, const pc::RouteTable& t) { route_table(w, t); }
void write_cluster(JsonWriter& w, const pc::Cluster& c) { cluster_json(w, c); }
const char* outbound_policy_name(model::OutboundTrafficPolicy::Mode m) {
  return m == model::OutboundTrafficPolicy::Mode::kAllowAny ? "ALLOW_ANY" : "REGISTRY_ONLY";
}

}  // namespace detail

}  // namespace mesh::translate
