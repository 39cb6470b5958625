// ProxyConfig <-> JSON: encoding reuses translate::to_json; decoding is the
// inverse, field by field (clusters and listeners here, routes in codec_routes.cc).
#include "core/xds/config_codec.h"

#include "core/model/hash.h"

#include "core/translate/translate.h"
#include "core/xds/codec_internal.h"

namespace mesh::xds {
namespace {

const char* const kLbNames[] = {"UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST"};
const char* const kHashKeys[] = {"", "httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName"};
const char* const kHashAlgorithms[] = {"RING_HASH", "MAGLEV"};
const char* const kTlsModes[] = {"DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"};
const char* const kDirections[] = {"outbound", "inbound"};
const char* const kProtocols[] = {"HTTP", "TCP", "TLS"};
const char* const kProxyTypes[] = {"sidecar", "gateway"};
const char* const kOutboundModes[] = {"ALLOW_ANY", "REGISTRY_ONLY"};

template <class Fn>
void each(JsonIn& in, const Json& j, const char* key, Fn fn) {
  const Json* list = in.array(j, key);
  for (size_t i = 0; list && in.ok() && i < list->size(); ++i) {
    auto s = in.enter(key, i);
    fn((*list)[i]);
  }
}

void read_consistent_hash(JsonIn& in, const Json& j, model::ConsistentHashLB& h) {
  auto s = in.enter("consistentHash");
  in.get_enum(j, "key", kHashKeys, h.key);
  if (h.key == model::ConsistentHashLB::Key::kHeader) in.get(j, "name", h.header_name);
  if (h.key == model::ConsistentHashLB::Key::kQueryParameter) in.get(j, "name", h.query_parameter_name);
  if (const Json* c = in.object(j, "cookie")) {
    in.get(*c, "name", h.cookie.name);
    in.get(*c, "path", h.cookie.path);
    in.get(*c, "ttl", h.cookie.ttl);
  }
  in.get_enum(j, "algorithm", kHashAlgorithms, h.algorithm);
  in.get(j, "minimumRingSize", h.minimum_ring_size);
  in.get(j, "maglevTableSize", h.maglev_table_size);
}

void read_connection_pool(JsonIn& in, const Json& j, model::ConnectionPoolSettings& p) {
  auto s = in.enter("connectionPool");
  if (const Json* t = in.object(j, "tcp")) {
    in.get(*t, "maxConnections", p.tcp.max_connections);
    in.get(*t, "connectTimeout", p.tcp.connect_timeout);
    in.get(*t, "maxConnectionDuration", p.tcp.max_connection_duration);
    in.get(*t, "idleTimeout", p.tcp.idle_timeout);
  }
  if (const Json* h = in.object(j, "http")) {
    in.get(*h, "http1MaxPendingRequests", p.http.http1_max_pending_requests);
    in.get(*h, "http2MaxRequests", p.http.http2_max_requests);
    in.get(*h, "maxRequestsPerConnection", p.http.max_requests_per_connection);
    in.get(*h, "maxRetries", p.http.max_retries);
    in.get(*h, "idleTimeout", p.http.idle_timeout);
    in.get(*h, "h2UpgradePolicy", p.http.h2_upgrade_policy);
    in.get(*h, "useClientProtocol", p.http.use_client_protocol);
    in.get(*h, "maxConcurrentStreams", p.http.max_concurrent_streams);
  }
}

void read_outlier(JsonIn& in, const Json& j, model::OutlierDetection& o) {
  auto s = in.enter("outlierDetection");
  in.get(j, "consecutive5xxErrors", o.consecutive_5xx_errors);
  in.get(j, "consecutiveGatewayErrors", o.consecutive_gateway_errors);
  in.get(j, "consecutiveLocalOriginFailures", o.consecutive_local_origin_failures);
  in.get(j, "splitExternalLocalOriginErrors", o.split_external_local_origin_errors);
  in.get(j, "interval", o.interval);
  in.get(j, "baseEjectionTime", o.base_ejection_time);
  in.get(j, "maxEjectionPercent", o.max_ejection_percent);
  in.get(j, "minHealthPercent", o.min_health_percent);
}

void read_tls(JsonIn& in, const Json& j, model::ClientTLSSettings& t) {
  auto s = in.enter("tls");
  in.get_enum(j, "mode", kTlsModes, t.mode);
  in.get(j, "clientCertificate", t.client_certificate);
  in.get(j, "privateKey", t.private_key);
  in.get(j, "caCertificates", t.ca_certificates);
  in.get(j, "credentialName", t.credential_name);
  in.get(j, "subjectAltNames", t.subject_alt_names);
  in.get(j, "sni", t.sni);
  in.get(j, "insecureSkipVerify", t.insecure_skip_verify);
}

pc::Endpoint read_endpoint(JsonIn& in, const Json& j) {
  pc::Endpoint e;
  in.get(j, "address", e.address);
  in.get(j, "port", e.port);
  in.get(j, "labels", e.labels);
  in.get(j, "pod", e.pod);
  in.get(j, "serviceAccount", e.service_account);
  in.get(j, "weight", e.weight);
  in.get(j, "healthy", e.healthy);
  return e;
}

pc::Cluster read_cluster(JsonIn& in, const Json& j) {
  pc::Cluster c;
  in.get(j, "name", c.name);
  in.get_enum(j, "direction", kDirections, c.direction);
  in.get(j, "serviceHost", c.service_host);
  in.get(j, "port", c.port);
  in.get(j, "subset", c.subset);
  if (const Json* lb = in.object(j, "loadBalancer")) {
    auto s = in.enter("loadBalancer");
    in.get_enum(*lb, "simple", kLbNames, c.load_balancer.simple);
    if (const Json* h = in.object(*lb, "consistentHash"))
      read_consistent_hash(in, *h, c.load_balancer.consistent_hash.emplace());
  }
  if (const Json* p = in.object(j, "connectionPool")) read_connection_pool(in, *p, c.connection_pool.emplace());
  if (const Json* o = in.object(j, "outlierDetection")) read_outlier(in, *o, c.outlier_detection.emplace());
  if (const Json* t = in.object(j, "tls")) read_tls(in, *t, c.tls.emplace());
  in.get(j, "passthrough", c.passthrough);
  each(in, j, "endpoints", [&](const Json& e) { c.endpoints.push_back(read_endpoint(in, e)); });
  return c;
}

pc::Listener read_listener(JsonIn& in, const Json& j) {
  pc::Listener l;
  in.get(j, "name", l.name);
  in.get(j, "address", l.address);
  in.get(j, "port", l.port);
  in.get_enum(j, "protocol", kProtocols, l.protocol);
  in.get(j, "routeTable", l.route_table);
  in.get(j, "tcpCluster", l.tcp_cluster);
  each(in, j, "tcpWeightedClusters", [&](const Json& c) { l.tcp_weighted.push_back(read_weighted_cluster(in, c)); });
  return l;
}

void read_identity(JsonIn& in, const Json& j, pc::ProxyIdentity& p) {
  auto s = in.enter("proxy");
  in.get_enum(j, "type", kProxyTypes, p.type);
  in.get(j, "name", p.name);
  in.get(j, "namespace", p.ns);
  in.get(j, "labels", p.labels);
  in.get(j, "serviceAccount", p.service_account);
  in.get(j, "ip", p.ip);
}

}  // namespace

std::string encode_config(const pc::ProxyConfig& config) {
  std::string out = translate::to_json(config, -1);
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::shared_ptr<pc::ProxyConfig> decode_config_node(const Json& node, std::string& error) {
  JsonIn in;
  auto config = std::make_shared<pc::ProxyConfig>();
  if (!node.is_object()) in.fail("", "expected a ProxyConfig object");
  in.get(node, "version", config->version);
  if (const Json* p = in.object(node, "proxy")) read_identity(in, *p, config->proxy);
  in.get_enum(node, "outboundPolicy", kOutboundModes, config->outbound_policy);
  each(in, node, "listeners", [&](const Json& l) { config->listeners.push_back(read_listener(in, l)); });
  each(in, node, "routeTables", [&](const Json& t) {
    read_route_table(in, t, config->route_tables.emplace_back());
  });
  each(in, node, "clusters", [&](const Json& c) { config->clusters.push_back(read_cluster(in, c)); });
  if (!in.ok()) {
    error = in.error();
    return nullptr;
  }
  return config;
}

std::shared_ptr<pc::ProxyConfig> decode_config(std::string_view json, std::string& error) {
  Json node = Json::parse(json.begin(), json.end(), nullptr, false);
  if (node.is_discarded()) {
    error = "not valid JSON";
    return nullptr;
  }
  return decode_config_node(node, error);
}

uint64_t content_hash(const pc::ProxyConfig& config) {
  // The version is the first key of the dump; hash what follows it.
  std::string text = encode_config(config);
  size_t comma = text.find(',');
  return model::fnv1a(comma == std::string::npos ? std::string_view(text) : std::string_view(text).substr(comma));
}

}  // namespace mesh::xds
