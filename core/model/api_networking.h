// networking.istio.io objects (v1, v1beta1 and v1alpha3 share one schema):
// VirtualService, DestinationRule, Gateway, ServiceEntry, WorkloadEntry, Sidecar.
// Field names follow the protos in snake_case; comments name the YAML field when
// it differs.
#pragma once

#include "core/model/api_common.h"

namespace mesh::model {

// ---------------------------------------------------------------- VirtualService

struct HeaderOperations {
  std::vector<std::pair<std::string, std::string>> set;  // ordered as written
  std::vector<std::pair<std::string, std::string>> add;
  std::vector<std::string> remove;
};

struct Headers {
  HeaderOperations request;
  HeaderOperations response;
};

struct Destination {
  std::string host;
  std::string subset;
  PortSelector port;
  Pos pos;  // of the destination map, for cross-object findings
};

struct HTTPMatchRequest {
  std::string name;
  std::optional<StringMatch> uri, scheme, method, authority;
  std::vector<std::pair<std::string, StringMatch>> headers;  // names lower-cased
  std::vector<std::pair<std::string, StringMatch>> without_headers;
  std::vector<std::pair<std::string, StringMatch>> query_params;
  uint32_t port = 0;
  Labels source_labels;
  std::vector<std::string> gateways;
  bool ignore_uri_case = false;
  std::string source_namespace;
  std::string stat_prefix;
};

struct HTTPRouteDestination {
  Destination destination;
  int32_t weight = 0;  // 0 with a single destination means 100
  Headers headers;
};

struct HTTPRedirect {
  enum class DerivePort { kNone, kFromProtocolDefault, kFromRequestPort };
  std::string uri;
  std::string authority;
  uint32_t port = 0;
  DerivePort derive_port = DerivePort::kNone;
  std::string scheme;
  uint32_t redirect_code = 301;
};

struct HTTPDirectResponse {
  uint32_t status = 0;
  std::string body;  // body.string, or body.bytes base64-decoded
};

struct Delegate {
  std::string name;
  std::string ns;  // YAML: namespace
};

struct RegexRewrite {
  std::string match;
  std::string rewrite;
};

struct HTTPRewrite {
  std::string uri;
  std::string authority;
  std::optional<RegexRewrite> uri_regex_rewrite;
};

struct HTTPRetry {
  int32_t attempts = 0;
  std::optional<Duration> per_try_timeout;
  std::string retry_on;  // comma-separated, as in Envoy
  std::optional<bool> retry_remote_localities;
};

struct FaultDelay {
  std::optional<Duration> fixed_delay;
  std::optional<Duration> exponential_delay;
  double percentage = 100.0;  // percentage.value, or the deprecated int `percent`
};

struct FaultAbort {
  uint32_t http_status = 0;
  std::string grpc_status;
  std::string http2_error;
  double percentage = 100.0;
};

struct HTTPFaultInjection {
  std::optional<FaultDelay> delay;
  std::optional<FaultAbort> abort;
};

struct HTTPMirrorPolicy {
  Destination destination;
  std::optional<double> percentage;
};

struct CorsPolicy {
  std::vector<StringMatch> allow_origins;  // includes deprecated allowOrigin (exact)
  std::vector<std::string> allow_methods;
  std::vector<std::string> allow_headers;
  std::vector<std::string> expose_headers;
  std::optional<Duration> max_age;
  std::optional<bool> allow_credentials;
  enum class UnmatchedPreflights { kUnspecified, kForward, kIgnore };
  UnmatchedPreflights unmatched_preflights = UnmatchedPreflights::kUnspecified;
};

struct HTTPRoute {
  std::string name;
  std::vector<HTTPMatchRequest> match;
  std::vector<HTTPRouteDestination> route;
  std::optional<HTTPRedirect> redirect;
  std::optional<HTTPDirectResponse> direct_response;
  std::optional<Delegate> delegate;
  std::optional<HTTPRewrite> rewrite;
  std::optional<Duration> timeout;
  std::optional<HTTPRetry> retries;
  std::optional<HTTPFaultInjection> fault;
  std::vector<HTTPMirrorPolicy> mirrors;  // `mirror` + `mirrorPercentage` folded in
  std::optional<CorsPolicy> cors_policy;
  Headers headers;
  Pos pos;
};

struct TLSMatchAttributes {
  std::vector<std::string> sni_hosts;
  std::vector<std::string> destination_subnets;
  uint32_t port = 0;
  Labels source_labels;
  std::vector<std::string> gateways;
  std::string source_namespace;
};

struct RouteDestination {
  Destination destination;
  int32_t weight = 0;
};

struct TLSRoute {
  std::vector<TLSMatchAttributes> match;
  std::vector<RouteDestination> route;
};

struct L4MatchAttributes {
  std::vector<std::string> destination_subnets;
  uint32_t port = 0;
  std::string source_subnet;
  Labels source_labels;
  std::vector<std::string> gateways;
  std::string source_namespace;
};

struct TCPRoute {
  std::vector<L4MatchAttributes> match;
  std::vector<RouteDestination> route;
};

struct VirtualService {
  Meta meta;
  std::vector<std::string> hosts;
  std::vector<std::string> gateways;
  std::vector<HTTPRoute> http;
  std::vector<TLSRoute> tls;
  std::vector<TCPRoute> tcp;
  std::vector<std::string> export_to;
};

// --------------------------------------------------------------- DestinationRule

struct ConsistentHashLB {
  enum class Key { kNone, kHeader, kCookie, kSourceIp, kQueryParameter };
  Key key = Key::kNone;
  std::string header_name;  // httpHeaderName
  struct Cookie {
    std::string name;
    std::string path;
    std::optional<Duration> ttl;
  } cookie;  // httpCookie
  std::string query_parameter_name;  // httpQueryParameterName
  enum class Algorithm { kRingHash, kMaglev };
  Algorithm algorithm = Algorithm::kRingHash;
  uint64_t minimum_ring_size = 1024;  // ringHash.minimumRingSize
  uint64_t maglev_table_size = 65537;  // maglev.tableSize
};

struct LoadBalancerSettings {
  enum class Simple { kUnspecified, kLeastConn, kRandom, kPassthrough, kRoundRobin, kLeastRequest };
  Simple simple = Simple::kUnspecified;
  std::optional<ConsistentHashLB> consistent_hash;
  std::optional<Duration> warmup_duration;
};

struct TcpKeepalive {
  uint32_t probes = 0;
  std::optional<Duration> time;
  std::optional<Duration> interval;
};

struct ConnectionPoolSettings {
  struct Tcp {
    std::optional<int32_t> max_connections;
    std::optional<Duration> connect_timeout;
    std::optional<TcpKeepalive> tcp_keepalive;
    std::optional<Duration> max_connection_duration;
    std::optional<Duration> idle_timeout;
  } tcp;
  struct Http {
    std::optional<int32_t> http1_max_pending_requests;
    std::optional<int32_t> http2_max_requests;
    std::optional<int32_t> max_requests_per_connection;
    std::optional<int32_t> max_retries;
    std::optional<Duration> idle_timeout;
    std::string h2_upgrade_policy;  // DEFAULT | DO_NOT_UPGRADE | UPGRADE
    bool use_client_protocol = false;
    std::optional<int32_t> max_concurrent_streams;
  } http;
};

struct OutlierDetection {
  std::optional<uint32_t> consecutive_5xx_errors;  // also deprecated consecutiveErrors
  std::optional<uint32_t> consecutive_gateway_errors;
  std::optional<uint32_t> consecutive_local_origin_failures;
  bool split_external_local_origin_errors = false;
  std::optional<Duration> interval;
  std::optional<Duration> base_ejection_time;
  std::optional<int32_t> max_ejection_percent;
  std::optional<int32_t> min_health_percent;
};

struct ClientTLSSettings {
  enum class Mode { kDisable, kSimple, kMutual, kIstioMutual };
  Mode mode = Mode::kDisable;
  std::string client_certificate;
  std::string private_key;
  std::string ca_certificates;
  std::string credential_name;
  std::vector<std::string> subject_alt_names;
  std::string sni;
  std::optional<bool> insecure_skip_verify;
  std::string ca_crl;
};

struct PortTrafficPolicy {
  PortSelector port;
  std::optional<LoadBalancerSettings> load_balancer;
  std::optional<ConnectionPoolSettings> connection_pool;
  std::optional<OutlierDetection> outlier_detection;
  std::optional<ClientTLSSettings> tls;
};

struct TrafficPolicy {
  std::optional<LoadBalancerSettings> load_balancer;
  std::optional<ConnectionPoolSettings> connection_pool;
  std::optional<OutlierDetection> outlier_detection;
  std::optional<ClientTLSSettings> tls;
  std::vector<PortTrafficPolicy> port_level_settings;
};

struct Subset {
  std::string name;
  Labels labels;
  std::optional<TrafficPolicy> traffic_policy;
  Pos pos;
};

struct DestinationRule {
  Meta meta;
  std::string host;
  std::optional<TrafficPolicy> traffic_policy;
  std::vector<Subset> subsets;
  std::vector<std::string> export_to;
  std::optional<WorkloadSelector> workload_selector;
};

// ----------------------------------------------------------------------- Gateway

struct ServerPort {
  uint32_t number = 0;
  std::string protocol;  // upper-cased: HTTP, HTTPS, GRPC, HTTP2, MONGO, TCP, TLS
  std::string name;
  uint32_t target_port = 0;
};

struct ServerTLSSettings {
  enum class Mode { kPassthrough, kSimple, kMutual, kAutoPassthrough, kIstioMutual, kOptionalMutual };
  bool https_redirect = false;
  Mode mode = Mode::kPassthrough;
  std::string server_certificate;
  std::string private_key;
  std::string ca_certificates;
  std::string ca_crl;
  std::string credential_name;
  std::vector<std::string> credential_names;
  std::vector<std::string> subject_alt_names;
  std::vector<std::string> verify_certificate_spki;
  std::vector<std::string> verify_certificate_hash;
  std::string min_protocol_version;  // TLS_AUTO | TLSV1_0 .. TLSV1_3
  std::string max_protocol_version;
  std::vector<std::string> cipher_suites;
};

struct Server {
  ServerPort port;
  std::string bind;
  std::vector<std::string> hosts;
  std::optional<ServerTLSSettings> tls;
  std::string default_endpoint;
  std::string name;
};

struct Gateway {
  Meta meta;
  std::vector<Server> servers;
  Labels selector;
};

// ---------------------------------------------------- ServiceEntry, WorkloadEntry

struct WorkloadEntrySpec {
  std::string address;
  std::map<std::string, uint32_t> ports;
  Labels labels;
  std::string network;
  std::string locality;
  uint32_t weight = 0;
  std::string service_account;
};

struct WorkloadEntry {
  Meta meta;
  WorkloadEntrySpec spec;
};

struct ServicePort {
  uint32_t number = 0;
  std::string protocol;
  std::string name;
  uint32_t target_port = 0;
};

struct ServiceEntry {
  Meta meta;
  std::vector<std::string> hosts;
  std::vector<std::string> addresses;
  std::vector<ServicePort> ports;
  enum class Location { kMeshExternal, kMeshInternal };
  Location location = Location::kMeshExternal;
  enum class Resolution { kNone, kStatic, kDns, kDnsRoundRobin };
  Resolution resolution = Resolution::kNone;
  std::vector<WorkloadEntrySpec> endpoints;
  std::optional<WorkloadSelector> workload_selector;
  std::vector<std::string> export_to;
  std::vector<std::string> subject_alt_names;
};

// ----------------------------------------------------------------------- Sidecar

struct IstioIngressListener {
  ServerPort port;
  std::string bind;
  std::string capture_mode;  // DEFAULT | IPTABLES | NONE
  std::string default_endpoint;
  std::optional<ServerTLSSettings> tls;
  std::optional<ConnectionPoolSettings> connection_pool;
};

struct IstioEgressListener {
  std::optional<ServerPort> port;
  std::string bind;
  std::string capture_mode;
  std::vector<std::string> hosts;  // "namespace/dnsName"
};

struct OutboundTrafficPolicy {
  enum class Mode { kAllowAny, kRegistryOnly };
  Mode mode = Mode::kAllowAny;
  std::optional<Destination> egress_proxy;
};

struct Sidecar {
  Meta meta;
  std::optional<WorkloadSelector> workload_selector;
  std::vector<IstioIngressListener> ingress;
  std::vector<IstioEgressListener> egress;
  std::optional<OutboundTrafficPolicy> outbound_traffic_policy;
  std::optional<ConnectionPoolSettings> inbound_connection_pool;
};

}  // namespace mesh::model
