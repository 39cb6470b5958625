// ProxyConfig as JSON (nlohmann ordered_json: keys in a fixed order) and YAML
// (a small emitter over the same JSON tree, so both forms carry the same fields).
#include <strings.h>

#include <cctype>
#include <cstring>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/model/decode.h"
#include "core/translate/translate.h"

namespace mesh::translate {
namespace {

using J = nlohmann::ordered_json;

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

J duration(const std::optional<model::Duration>& d) {
  return d ? J(model::format_duration(*d)) : J(nullptr);
}

J matcher(const pc::StringMatcher& m) {
  J j{{"kind", kind_name(m.kind)}, {"value", m.value}};
  if (m.ignore_case) j["ignoreCase"] = true;
  return j;
}

J opt_matcher(const std::optional<pc::StringMatcher>& m) {
  return m ? matcher(*m) : J(nullptr);
}

J match(const pc::RouteMatch& m) {
  J j{{"name", m.name},
      {"uri", opt_matcher(m.uri)},
      {"scheme", opt_matcher(m.scheme)},
      {"method", opt_matcher(m.method)},
      {"authority", opt_matcher(m.authority)}};
  j["headers"] = J::array();
  for (const auto& h : m.headers)
    j["headers"].push_back({{"name", h.name}, {"match", matcher(h.match)}, {"invert", h.invert}});
  j["queryParams"] = J::array();
  for (const auto& q : m.query_params)
    j["queryParams"].push_back({{"name", q.name}, {"match", matcher(q.match)}});
  j["port"] = m.port;
  return j;
}

J header_ops(const pc::HeaderOps& h) {
  J set = J::array(), add = J::array();
  for (const auto& [k, v] : h.set) set.push_back({{"name", k}, {"value", v}});
  for (const auto& [k, v] : h.add) add.push_back({{"name", k}, {"value", v}});
  return J{{"set", std::move(set)}, {"add", std::move(add)}, {"remove", h.remove}};
}

J forward(const pc::ForwardAction& f) {
  J clusters = J::array();
  for (const auto& c : f.clusters) {
    clusters.push_back({{"cluster", c.cluster},
                        {"host", c.host},
                        {"port", c.port},
                        {"subset", c.subset},
                        {"weight", c.weight},
                        {"requestHeaders", header_ops(c.request_headers)},
                        {"responseHeaders", header_ops(c.response_headers)}});
  }
  J retry{{"attempts", f.retry.attempts},
          {"perTryTimeout", duration(f.retry.per_try_timeout)},
          {"retryOn", f.retry.retry_on},
          {"retriableStatusCodes", f.retry.retriable_status_codes}};
  J rewrite = nullptr;
  if (f.rewrite) {
    rewrite = {{"uri", f.rewrite->uri},
               {"authority", f.rewrite->authority},
               {"uriRegex", f.rewrite->uri_regex ? J(f.rewrite->uri_regex->pattern()) : J(nullptr)},
               {"uriRegexSubstitution", f.rewrite->uri_regex_substitution}};
  }
  J mirrors = J::array();
  for (const auto& m : f.mirrors)
    mirrors.push_back({{"cluster", m.cluster}, {"host", m.host}, {"percent", m.percent}});
  return J{{"clusters", std::move(clusters)},
           {"totalWeight", f.total_weight},
           {"timeout", duration(f.timeout)},
           {"retry", std::move(retry)},
           {"rewrite", std::move(rewrite)},
           {"mirrors", std::move(mirrors)}};
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

J action(const pc::Route& r) {
  if (const auto* f = std::get_if<pc::ForwardAction>(&r.action)) return J{{"forward", forward(*f)}};
  if (const auto* d = std::get_if<pc::RedirectAction>(&r.action)) {
    return J{{"redirect",
              {{"scheme", d->scheme},
               {"authority", d->authority},
               {"port", d->port},
               {"derivePort", derive_port_name(d->derive_port)},
               {"path", d->path},
               {"status", d->status}}}};
  }
  const auto& d = std::get<pc::DirectResponseAction>(r.action);
  return J{{"directResponse", {{"status", d.status}, {"body", d.body}}}};
}

J route(const pc::Route& r) {
  J j{{"name", r.name}, {"virtualService", r.virtual_service}, {"httpRouteIndex", r.http_route_index}};
  j["matches"] = J::array();
  for (const auto& m : r.matches) j["matches"].push_back(match(m));
  j["action"] = action(r);
  j["fault"] = nullptr;
  if (r.fault) {
    j["fault"] = {{"delay", duration(r.fault->delay)},
                  {"delayPercent", r.fault->delay_percent},
                  {"abortStatus", r.fault->abort_status},
                  {"abortPercent", r.fault->abort_percent}};
  }
  j["cors"] = nullptr;
  if (r.cors) {
    J origins = J::array();
    for (const auto& o : r.cors->allow_origins) origins.push_back(matcher(o));
    j["cors"] = {{"allowOrigins", std::move(origins)},
                 {"allowMethods", r.cors->allow_methods},
                 {"allowHeaders", r.cors->allow_headers},
                 {"exposeHeaders", r.cors->expose_headers},
                 {"maxAge", r.cors->max_age},
                 {"allowCredentials", r.cors->allow_credentials ? J(*r.cors->allow_credentials) : J(nullptr)},
                 {"forwardUnmatchedPreflights", r.cors->forward_unmatched_preflights}};
  }
  j["requestHeaders"] = header_ops(r.request_headers);
  j["responseHeaders"] = header_ops(r.response_headers);
  return j;
}

J route_table(const pc::RouteTable& t) {
  J vhosts = J::array();
  for (const auto& v : t.virtual_hosts) {
    J routes = J::array();
    for (const auto& r : v.routes) routes.push_back(route(r));
    vhosts.push_back({{"name", v.name}, {"domains", v.domains}, {"routes", std::move(routes)}});
  }
  return J{{"name", t.name}, {"virtualHosts", std::move(vhosts)}};
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

template <class T>
J opt(const std::optional<T>& v) {
  return v ? J(*v) : J(nullptr);
}

J consistent_hash(const model::ConsistentHashLB& h) {
  static const char* kKeys[] = {"", "httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName"};
  J j{{"key", kKeys[static_cast<int>(h.key)]}};
  if (h.key == model::ConsistentHashLB::Key::kHeader) j["name"] = h.header_name;
  if (h.key == model::ConsistentHashLB::Key::kQueryParameter) j["name"] = h.query_parameter_name;
  if (h.key == model::ConsistentHashLB::Key::kCookie) {
    j["cookie"] = {{"name", h.cookie.name}, {"path", h.cookie.path}, {"ttl", duration(h.cookie.ttl)}};
  }
  j["algorithm"] = h.algorithm == model::ConsistentHashLB::Algorithm::kMaglev ? "MAGLEV" : "RING_HASH";
  j["minimumRingSize"] = h.minimum_ring_size;
  j["maglevTableSize"] = h.maglev_table_size;
  return j;
}

J connection_pool(const model::ConnectionPoolSettings& p) {
  J tcp{{"maxConnections", opt(p.tcp.max_connections)},
        {"connectTimeout", duration(p.tcp.connect_timeout)},
        {"maxConnectionDuration", duration(p.tcp.max_connection_duration)},
        {"idleTimeout", duration(p.tcp.idle_timeout)}};
  J http{{"http1MaxPendingRequests", opt(p.http.http1_max_pending_requests)},
         {"http2MaxRequests", opt(p.http.http2_max_requests)},
         {"maxRequestsPerConnection", opt(p.http.max_requests_per_connection)},
         {"maxRetries", opt(p.http.max_retries)},
         {"idleTimeout", duration(p.http.idle_timeout)},
         {"h2UpgradePolicy", p.http.h2_upgrade_policy},
         {"useClientProtocol", p.http.use_client_protocol},
         {"maxConcurrentStreams", opt(p.http.max_concurrent_streams)}};
  return J{{"tcp", std::move(tcp)}, {"http", std::move(http)}};
}

J outlier(const model::OutlierDetection& o) {
  return J{{"consecutive5xxErrors", opt(o.consecutive_5xx_errors)},
           {"consecutiveGatewayErrors", opt(o.consecutive_gateway_errors)},
           {"consecutiveLocalOriginFailures", opt(o.consecutive_local_origin_failures)},
           {"splitExternalLocalOriginErrors", o.split_external_local_origin_errors},
           {"interval", duration(o.interval)},
           {"baseEjectionTime", duration(o.base_ejection_time)},
           {"maxEjectionPercent", opt(o.max_ejection_percent)},
           {"minHealthPercent", opt(o.min_health_percent)}};
}

J tls(const model::ClientTLSSettings& t) {
  static const char* kModes[] = {"DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"};
  return J{{"mode", kModes[static_cast<int>(t.mode)]},
           {"clientCertificate", t.client_certificate},
           {"privateKey", t.private_key},
           {"caCertificates", t.ca_certificates},
           {"credentialName", t.credential_name},
           {"subjectAltNames", t.subject_alt_names},
           {"sni", t.sni},
           {"insecureSkipVerify", opt(t.insecure_skip_verify)}};
}

J cluster_json(const pc::Cluster& c) {
  J lb{{"simple", lb_name(c.load_balancer.simple)},
       {"consistentHash",
        c.load_balancer.consistent_hash ? consistent_hash(*c.load_balancer.consistent_hash) : J(nullptr)}};
  J endpoints = J::array();
  for (const auto& e : c.endpoints) {
    endpoints.push_back({{"address", e.address},
                         {"port", e.port},
                         {"labels", e.labels},
                         {"pod", e.pod},
                         {"serviceAccount", e.service_account},
                         {"weight", e.weight},
                         {"healthy", e.healthy}});
  }
  return J{{"name", c.name},
           {"direction", c.direction == pc::Cluster::Direction::kInbound ? "inbound" : "outbound"},
           {"serviceHost", c.service_host},
           {"port", c.port},
           {"subset", c.subset},
           {"loadBalancer", std::move(lb)},
           {"connectionPool", c.connection_pool ? connection_pool(*c.connection_pool) : J(nullptr)},
           {"outlierDetection", c.outlier_detection ? outlier(*c.outlier_detection) : J(nullptr)},
           {"tls", c.tls ? tls(*c.tls) : J(nullptr)},
           {"passthrough", c.passthrough},
           {"endpoints", std::move(endpoints)}};
}

J listener_json(const pc::Listener& l) {
  static const char* kProtocols[] = {"HTTP", "TCP", "TLS"};
  return J{{"name", l.name},
           {"address", l.address},
           {"port", l.port},
           {"protocol", kProtocols[static_cast<int>(l.protocol)]},
           {"routeTable", l.route_table},
           {"tcpCluster", l.tcp_cluster}};
}

J proxy_json(const pc::ProxyIdentity& p) {
  return J{{"type", p.type == pc::ProxyIdentity::Type::kGateway ? "gateway" : "sidecar"},
           {"name", p.name},
           {"namespace", p.ns},
           {"labels", p.labels},
           {"serviceAccount", p.service_account},
           {"ip", p.ip}};
}

// YAML scalars: JSON's quoting is valid YAML; plain text only when unambiguous.
std::string yaml_scalar(const J& j) {
  if (!j.is_string()) return j.dump();
  const std::string& s = j.get_ref<const std::string&>();
  static const char* kReserved[] = {"", "true", "false", "null", "yes", "no", "on", "off", "~", "y", "n"};
  bool plain = std::isalpha(static_cast<unsigned char>(s.empty() ? ' ' : s[0])) || s[0] == '/';
  for (const char* r : kReserved) plain = plain && strcasecmp(s.c_str(), r) != 0;
  for (char ch : s)
    plain = plain && (std::isalnum(static_cast<unsigned char>(ch)) || std::strchr("/._-|", ch));
  return plain ? s : j.dump();
}

bool is_empty_collection(const J& j) {
  return (j.is_array() || j.is_object()) && j.empty();
}

void emit_yaml(const J& j, int indent, std::string& out) {
  const std::string pad(indent, ' ');
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      out += pad + yaml_scalar(J(key)) + ":";
      if (is_empty_collection(value)) {
        out += value.is_array() ? " []\n" : " {}\n";
      } else if (value.is_object() || value.is_array()) {
        out += "\n";
        emit_yaml(value, value.is_array() ? indent : indent + 2, out);
      } else {
        out += " " + yaml_scalar(value) + "\n";
      }
    }
    return;
  }
  for (const auto& item : j) {
    if (is_empty_collection(item)) {
      out += pad + "- " + (item.is_array() ? "[]" : "{}") + "\n";
    } else if (item.is_object() || item.is_array()) {
      // The first key goes on the dash line: emit nested, then replace its indent with "- ".
      std::string nested;
      emit_yaml(item, indent + 2, nested);
      out += pad + "- " + nested.substr(indent + 2);
    } else {
      out += pad + "- " + yaml_scalar(item) + "\n";
    }
  }
}

J config_json(const pc::ProxyConfig& c) {
  J j{{"version", c.version},
      {"proxy", proxy_json(c.proxy)},
      {"outboundPolicy",
       c.outbound_policy == model::OutboundTrafficPolicy::Mode::kAllowAny ? "ALLOW_ANY" : "REGISTRY_ONLY"}};
  j["listeners"] = J::array();
  for (const auto& l : c.listeners) j["listeners"].push_back(listener_json(l));
  j["routeTables"] = J::array();
  for (const auto& t : c.route_tables) j["routeTables"].push_back(route_table(t));
  j["clusters"] = J::array();
  for (const auto& cl : c.clusters) j["clusters"].push_back(cluster_json(cl));
  return j;
}

}  // namespace

std::string to_json(const pc::ProxyConfig& config, int indent) {
  return config_json(config).dump(indent) + "\n";
}

std::string to_yaml(const pc::ProxyConfig& config) {
  std::string out;
  emit_yaml(config_json(config), 0, out);
  return out;
}

}  // namespace mesh::translate
