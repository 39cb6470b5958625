// TrafficPolicy of a DestinationRule or subset: load balancing, connection
// pools, outlier detection, client TLS and per-port overrides.
#include <cmath>

#include <fmt/format.h>

#include "core/model/decode_networking_common.h"

namespace mesh::model {

namespace {

bool is_prime(uint64_t x) {
  if (x < 2) return false;
  if (x < 4) return true;
  if (x % 2 == 0) return false;
  for (uint64_t f = 3; f * f <= x; f += 2) {
    if (x % f == 0) return false;
  }
  return true;
}

void read_non_negative(DecodeContext& c, const yaml::Node& v, std::optional<int32_t>& out) {
  int32_t value = 0;
  if (!read(c, v, value)) return;
  if (value < 0) c.error(v, fmt::format("{} must not be negative", value));
  out = value;
}

void read_hash_key(DecodeContext& c, const yaml::Node& n, ConsistentHashLB& out) {
  int keys = 0, algorithms = 0;
  bool legacy_ring_size = false;
  const auto key = [&](ConsistentHashLB::Key k) {
    ++keys;
    out.key = k;
  };
  read_fields(
      c, n,
      {
          {"httpHeaderName",
           [&](const yaml::Node& v) {
             key(ConsistentHashLB::Key::kHeader);
             read(c, v, out.header_name);
           }},
          {"httpCookie",
           [&](const yaml::Node& v) {
             key(ConsistentHashLB::Key::kCookie);
             read_fields(c, v,
                         {
                             {"name", [&](const yaml::Node& x) { read(c, x, out.cookie.name); }},
                             {"path", [&](const yaml::Node& x) { read(c, x, out.cookie.path); }},
                             {"ttl", [&](const yaml::Node& x) { read_duration(c, x, out.cookie.ttl, true); }},
                             {"attributes", [&](const yaml::Node&) {}},
                         });
             if (v.is_map() && out.cookie.name.empty()) c.error_field(v, "name", "required field is missing");
           }},
          {"useSourceIp",
           [&](const yaml::Node& v) {
             bool on = false;
             if (read(c, v, on) && on) key(ConsistentHashLB::Key::kSourceIp);
           }},
          {"httpQueryParameterName",
           [&](const yaml::Node& v) {
             key(ConsistentHashLB::Key::kQueryParameter);
             read(c, v, out.query_parameter_name);
           }},
          {"ringHash",
           [&](const yaml::Node& v) {
             ++algorithms;
             out.algorithm = ConsistentHashLB::Algorithm::kRingHash;
             read_fields(
                 c, v,
                 {{"minimumRingSize", [&](const yaml::Node& x) { read(c, x, out.minimum_ring_size); }}});
           }},
          {"maglev",
           [&](const yaml::Node& v) {
             ++algorithms;
             out.algorithm = ConsistentHashLB::Algorithm::kMaglev;
             read_fields(c, v, {{"tableSize", [&](const yaml::Node& x) {
                                   if (!read(c, x, out.maglev_table_size)) return;
                                   if (out.maglev_table_size >= 5000011 || !is_prime(out.maglev_table_size)) {
                                     c.error(x, "maglev tableSize must be a prime number below 5000011");
                                   }
                                 }}});
             if (v.is_map() && !v["tableSize"]) c.error_field(v, "tableSize", "required field is missing");
           }},
          {"minimumRingSize",
           [&](const yaml::Node& v) {
             legacy_ring_size = true;
             c.warning(v, "minimumRingSize is deprecated; use ringHash.minimumRingSize");
             read(c, v, out.minimum_ring_size);
           }},
      });
  if (!n.is_map()) return;
  if (keys != 1) {
    c.error(n,
            "consistentHash needs exactly one of httpHeaderName, httpCookie, useSourceIp or "
            "httpQueryParameterName");
  }
  if (algorithms > 1) c.error(n, "only one of ringHash or maglev may be set");
  if (algorithms > 0 && legacy_ring_size)
    c.error(n, "minimumRingSize cannot be combined with ringHash or maglev");
}

void read_load_balancer(DecodeContext& c, const yaml::Node& n, LoadBalancerSettings& out) {
  read_fields(
      c, n,
      {
          {"simple",
           [&](const yaml::Node& v) {
             read_enum(c, v, out.simple,
                       {{"UNSPECIFIED", LoadBalancerSettings::Simple::kUnspecified},
                        {"LEAST_CONN", LoadBalancerSettings::Simple::kLeastConn},
                        {"RANDOM", LoadBalancerSettings::Simple::kRandom},
                        {"PASSTHROUGH", LoadBalancerSettings::Simple::kPassthrough},
                        {"ROUND_ROBIN", LoadBalancerSettings::Simple::kRoundRobin},
                        {"LEAST_REQUEST", LoadBalancerSettings::Simple::kLeastRequest}});
           }},
          {"consistentHash",
           [&](const yaml::Node& v) { read_hash_key(c, v, out.consistent_hash.emplace()); }},
          // Locality-aware balancing is not implemented; the settings are accepted so Istio config loads.
          {"localityLbSetting",
           [&](const yaml::Node& v) {
             if (!v.is_map()) c.error(v, fmt::format("expected a map, got {}", type_name(v)));
           }},
          {"warmupDurationSecs", [&](const yaml::Node& v) { read_ms_duration(c, v, out.warmup_duration); }},
          {"warmup",
           [&](const yaml::Node& v) {
             read_fields(
                 c, v,
                 {
                     {"duration", [&](const yaml::Node& x) { read_ms_duration(c, x, out.warmup_duration); }},
                     {"minimumPercent",
                      [&](const yaml::Node& x) {
                        double ignored = 0;
                        read(c, x, ignored);
                      }},
                     {"aggression",
                      [&](const yaml::Node& x) {
                        double ignored = 0;
                        read(c, x, ignored);
                      }},
                 });
           }},
      });
  if (n.is_map() && n["simple"] && n["consistentHash"]) {
    c.error_field(n["consistentHash"], "consistentHash", "only one of simple or consistentHash may be set");
  }
}

void read_keepalive(DecodeContext& c, const yaml::Node& n, TcpKeepalive& out) {
  read_fields(c, n,
              {
                  {"probes", [&](const yaml::Node& v) { read(c, v, out.probes); }},
                  {"time", [&](const yaml::Node& v) { read_ms_duration(c, v, out.time); }},
                  {"interval", [&](const yaml::Node& v) { read_ms_duration(c, v, out.interval); }},
              });
}

void read_tcp_pool(DecodeContext& c, const yaml::Node& n, ConnectionPoolSettings::Tcp& out) {
  read_fields(
      c, n,
      {
          {"maxConnections", [&](const yaml::Node& v) { read_non_negative(c, v, out.max_connections); }},
          {"connectTimeout", [&](const yaml::Node& v) { read_ms_duration(c, v, out.connect_timeout); }},
          {"tcpKeepalive", [&](const yaml::Node& v) { read_keepalive(c, v, out.tcp_keepalive.emplace()); }},
          {"maxConnectionDuration",
           [&](const yaml::Node& v) { read_ms_duration(c, v, out.max_connection_duration); }},
          {"idleTimeout", [&](const yaml::Node& v) { read_ms_duration(c, v, out.idle_timeout); }},
      });
}

void read_http_pool(DecodeContext& c, const yaml::Node& n, ConnectionPoolSettings::Http& out) {
  read_fields(
      c, n,
      {
          {"http1MaxPendingRequests",
           [&](const yaml::Node& v) { read_non_negative(c, v, out.http1_max_pending_requests); }},
          {"http2MaxRequests", [&](const yaml::Node& v) { read_non_negative(c, v, out.http2_max_requests); }},
          {"maxRequestsPerConnection",
           [&](const yaml::Node& v) { read_non_negative(c, v, out.max_requests_per_connection); }},
          {"maxRetries", [&](const yaml::Node& v) { read_non_negative(c, v, out.max_retries); }},
          {"idleTimeout", [&](const yaml::Node& v) { read_ms_duration(c, v, out.idle_timeout); }},
          {"h2UpgradePolicy",
           [&](const yaml::Node& v) {
             std::string policy;
             if (!read(c, v, policy)) return;
             if (policy != "DEFAULT" && policy != "DO_NOT_UPGRADE" && policy != "UPGRADE") {
               c.error(v,
                       fmt::format("unknown value \"{}\" (expected one of DEFAULT, DO_NOT_UPGRADE, UPGRADE)",
                                   policy));
               return;
             }
             out.h2_upgrade_policy = policy;
           }},
          {"useClientProtocol", [&](const yaml::Node& v) { read(c, v, out.use_client_protocol); }},
          {"maxConcurrentStreams",
           [&](const yaml::Node& v) { read_non_negative(c, v, out.max_concurrent_streams); }},
      });
  if (out.h2_upgrade_policy == "UPGRADE" && out.use_client_protocol) {
    c.error_field(n["useClientProtocol"], "useClientProtocol",
                  "useClientProtocol cannot be true with h2UpgradePolicy UPGRADE");
  }
}

void read_outlier_detection(DecodeContext& c, const yaml::Node& n, OutlierDetection& out) {
  const auto percent = [&](std::optional<int32_t>& field) {
    return [&c, &field](const yaml::Node& v) {
      int32_t value = 0;
      if (!read(c, v, value)) return;
      if (value < 0 || value > 100) c.error(v, fmt::format("percentage {} must be between 0 and 100", value));
      field = value;
    };
  };
  std::optional<uint32_t> legacy;
  read_fields(
      c, n,
      {
          {"consecutiveErrors",
           [&](const yaml::Node& v) {
             c.warning(
                 v, "consecutiveErrors is deprecated; use consecutive5xxErrors or consecutiveGatewayErrors");
             read(c, v, legacy);
           }},
          {"consecutive5xxErrors", [&](const yaml::Node& v) { read(c, v, out.consecutive_5xx_errors); }},
          {"consecutiveGatewayErrors",
           [&](const yaml::Node& v) { read(c, v, out.consecutive_gateway_errors); }},
          {"consecutiveLocalOriginFailures",
           [&](const yaml::Node& v) { read(c, v, out.consecutive_local_origin_failures); }},
          {"splitExternalLocalOriginErrors",
           [&](const yaml::Node& v) { read(c, v, out.split_external_local_origin_errors); }},
          {"interval", [&](const yaml::Node& v) { read_ms_duration(c, v, out.interval); }},
          {"baseEjectionTime", [&](const yaml::Node& v) { read_ms_duration(c, v, out.base_ejection_time); }},
          {"maxEjectionPercent", percent(out.max_ejection_percent)},
          {"minHealthPercent", percent(out.min_health_percent)},
      });
  if (!out.consecutive_5xx_errors && legacy) out.consecutive_5xx_errors = legacy;
  if (out.consecutive_local_origin_failures.value_or(0) > 0 && !out.split_external_local_origin_errors) {
    c.error_field(n["consecutiveLocalOriginFailures"], "consecutiveLocalOriginFailures",
                  "consecutiveLocalOriginFailures needs splitExternalLocalOriginErrors: true");
  }
}

void check_client_tls(DecodeContext& c, const yaml::Node& n, const ClientTLSSettings& t) {
  using Mode = ClientTLSSettings::Mode;
  if (t.insecure_skip_verify.value_or(false) && (t.mode == Mode::kSimple || t.mode == Mode::kMutual)) {
    const bool simple_extra = t.mode == Mode::kSimple && !t.credential_name.empty();
    if (!t.ca_certificates.empty() || !t.subject_alt_names.empty() || simple_extra) {
      c.error(n,
              "insecureSkipVerify cannot be combined with caCertificates, subjectAltNames or (SIMPLE) "
              "credentialName");
    }
  }
  if ((t.mode == Mode::kSimple || t.mode == Mode::kMutual) && !t.credential_name.empty()) {
    if (!t.client_certificate.empty() || !t.private_key.empty() || !t.ca_certificates.empty() ||
        !t.ca_crl.empty()) {
      c.error(
          n, "credentialName cannot be combined with clientCertificate, privateKey, caCertificates or caCrl");
    }
    return;
  }
  if (t.mode == Mode::kMutual) {
    if (t.client_certificate.empty())
      c.error_field(n, "clientCertificate", "MUTUAL TLS needs a client certificate (or credentialName)");
    if (t.private_key.empty())
      c.error_field(n, "privateKey", "MUTUAL TLS needs a private key (or credentialName)");
  }
}

void read_client_tls(DecodeContext& c, const yaml::Node& n, ClientTLSSettings& out) {
  read_fields(
      c, n,
      {
          {"mode",
           [&](const yaml::Node& v) {
             read_enum(c, v, out.mode,
                       {{"DISABLE", ClientTLSSettings::Mode::kDisable},
                        {"SIMPLE", ClientTLSSettings::Mode::kSimple},
                        {"MUTUAL", ClientTLSSettings::Mode::kMutual},
                        {"ISTIO_MUTUAL", ClientTLSSettings::Mode::kIstioMutual}});
           }},
          {"clientCertificate", [&](const yaml::Node& v) { read(c, v, out.client_certificate); }},
          {"privateKey", [&](const yaml::Node& v) { read(c, v, out.private_key); }},
          {"caCertificates", [&](const yaml::Node& v) { read(c, v, out.ca_certificates); }},
          {"credentialName", [&](const yaml::Node& v) { read(c, v, out.credential_name); }},
          {"subjectAltNames", [&](const yaml::Node& v) { read_strings(c, v, out.subject_alt_names); }},
          {"sni", [&](const yaml::Node& v) { read(c, v, out.sni); }},
          {"insecureSkipVerify", [&](const yaml::Node& v) { read(c, v, out.insecure_skip_verify); }},
          {"caCrl", [&](const yaml::Node& v) { read(c, v, out.ca_crl); }},
      });
  if (n.is_map()) check_client_tls(c, n, out);
}

// The fields a traffic policy and its per-port settings share. The readers
// outlive this call, so they hold pointers, not references to its parameters.
template <class P>
std::vector<Field> policy_fields(DecodeContext& context, P& policy) {
  DecodeContext* c = &context;
  P* out = &policy;
  return {
      {"loadBalancer",
       [c, out](const yaml::Node& v) { read_load_balancer(*c, v, out->load_balancer.emplace()); }},
      {"connectionPool",
       [c, out](const yaml::Node& v) { read_connection_pool(*c, v, out->connection_pool.emplace()); }},
      {"outlierDetection",
       [c, out](const yaml::Node& v) { read_outlier_detection(*c, v, out->outlier_detection.emplace()); }},
      {"tls", [c, out](const yaml::Node& v) { read_client_tls(*c, v, out->tls.emplace()); }},
  };
}

template <class P>
bool has_policy(const P& p) {
  return p.load_balancer || p.connection_pool || p.outlier_detection || p.tls;
}

void read_port_policy(DecodeContext& c, const yaml::Node& n, PortTrafficPolicy& out) {
  bool has_port = false;
  std::vector<Field> fields = policy_fields(c, out);
  fields.push_back({"port", [&](const yaml::Node& v) {
                      has_port = true;
                      read(c, v, out.port);
                    }});
  read_fields(c, n, fields);
  if (!n.is_map()) return;
  if (!has_port) c.error_field(n, "port", "required field is missing");
  if (!has_policy(out)) {
    c.error(
        n,
        "a port traffic policy needs at least one of loadBalancer, connectionPool, outlierDetection or tls");
  }
}

}  // namespace

void read_connection_pool(DecodeContext& c, const yaml::Node& n, ConnectionPoolSettings& out) {
  read_fields(c, n,
              {
                  {"tcp", [&](const yaml::Node& v) { read_tcp_pool(c, v, out.tcp); }},
                  {"http", [&](const yaml::Node& v) { read_http_pool(c, v, out.http); }},
              });
  if (n.is_map() && !n["tcp"] && !n["http"]) c.error(n, "a connection pool needs tcp or http settings");
}

void read_traffic_policy(DecodeContext& c, const yaml::Node& n, TrafficPolicy& out) {
  bool tunnel = false, proxy_protocol = false;
  std::vector<Field> fields = policy_fields(c, out);
  fields.push_back(
      {"portLevelSettings", [&](const yaml::Node& v) {
         read_each(c, v, out.port_level_settings,
                   [&](const yaml::Node& p, PortTrafficPolicy& policy) { read_port_policy(c, p, policy); });
       }});
  // Accepted for compatibility; the proxy does not tunnel or send PROXY headers.
  fields.push_back({"tunnel", [&](const yaml::Node& v) {
                      tunnel = true;
                      if (!v.is_map()) c.error(v, fmt::format("expected a map, got {}", type_name(v)));
                    }});
  fields.push_back({"proxyProtocol", [&](const yaml::Node& v) {
                      proxy_protocol = true;
                      read_fields(c, v, {{"version", [&](const yaml::Node& x) {
                                            int ignored = 0;
                                            read_enum(c, x, ignored, {{"V1", 0}, {"V2", 1}});
                                          }}});
                    }});
  read_fields(c, n, fields);
  if (!n.is_map()) return;
  if (tunnel && proxy_protocol) c.error(n, "only one of tunnel or proxyProtocol may be set");
  if (!has_policy(out) && out.port_level_settings.empty() && !tunnel && !proxy_protocol &&
      !n["portLevelSettings"]) {
    c.error(n, "a traffic policy needs at least one field");
  }
}

}  // namespace mesh::model
