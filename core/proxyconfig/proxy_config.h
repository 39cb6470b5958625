// ProxyConfig: everything one proxy needs, translated from Istio config for that
// proxy. Immutable once built (shared as shared_ptr<const ProxyConfig>), versioned,
// and the single input of the data plane's router, `mesh routes` and the control
// plane's push. Shaped like Envoy's resources so Istio users recognise it:
// listeners -> route tables -> virtual hosts -> routes -> clusters -> endpoints.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include <re2/re2.h>

#include "core/model/api_common.h"
#include "core/model/api_networking.h"

namespace mesh::pc {

using model::Duration;
using model::Labels;

// A list that proxy configs share instead of copying (endpoint lists, the route
// tables of proxies with the same scope). Reads look like a const std::vector;
// writes (while a config is built, or in tests) copy the list first when anyone
// else holds it.
template <class T>
class SharedList {
 public:
  using List = std::vector<T>;
  SharedList() = default;
  explicit SharedList(std::shared_ptr<List> shared) : list_(std::move(shared)) {}
  SharedList(std::initializer_list<T> items) : list_(std::make_shared<List>(items)) {}

  size_t size() const { return list_ ? list_->size() : 0; }
  bool empty() const { return size() == 0; }
  const T& operator[](size_t i) const { return (*list_)[i]; }
  const T& front() const { return get().front(); }
  const T& back() const { return get().back(); }
  const T* data() const { return get().data(); }
  typename List::const_iterator begin() const { return get().begin(); }
  typename List::const_iterator end() const { return get().end(); }
  const List& get() const {
    static const List kEmpty;
    return list_ ? *list_ : kEmpty;
  }
  operator const List&() const { return get(); }  // NOLINT: reads as the vector it wraps

  void push_back(T e) { mutable_list().push_back(std::move(e)); }
  template <class... Args>
  T& emplace_back(Args&&... args) {
    return mutable_list().emplace_back(std::forward<Args>(args)...);
  }
  T& mutable_at(size_t i) { return mutable_list()[i]; }
  List& mutable_list() {
    if (!list_) {
      list_ = std::make_shared<List>();
    } else if (list_.use_count() > 1) {
      list_ = std::make_shared<List>(*list_);  // shared with other configs: copy on write
    }
    return *list_;
  }
  // The same list, for checks that two configs share it.
  const List* identity() const { return list_.get(); }

 private:
  std::shared_ptr<List> list_;
};

// A compiled string matcher (Istio StringMatch), shared by uri/authority/headers.
struct StringMatcher {
  enum class Kind { kExact, kPrefix, kRegex, kPresent };
  Kind kind = Kind::kPresent;
  std::string value;                // exact/prefix text, or the regex source
  std::shared_ptr<const RE2> regex;  // set when kind == kRegex
  bool ignore_case = false;          // uri with ignoreUriCase
};

struct HeaderMatcher {
  std::string name;  // lower-case
  StringMatcher match;
  bool invert = false;  // from withoutHeaders
};

struct QueryParamMatcher {
  std::string name;
  StringMatcher match;
};

// One HTTPMatchRequest. Fields that depend only on who the proxy is (gateways,
// sourceLabels, sourceNamespace) are resolved during translation: a match block
// that cannot apply to this proxy is dropped there.
struct RouteMatch {
  std::string name;
  std::optional<StringMatcher> uri;  // matched against the path without the query
  std::optional<StringMatcher> scheme;
  std::optional<StringMatcher> method;
  std::optional<StringMatcher> authority;
  std::vector<HeaderMatcher> headers;
  std::vector<QueryParamMatcher> query_params;
  uint32_t port = 0;  // 0: any
};

struct HeaderOps {
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::pair<std::string, std::string>> add;
  std::vector<std::string> remove;
  bool empty() const { return set.empty() && add.empty() && remove.empty(); }
};

struct WeightedCluster {
  std::string cluster;  // e.g. outbound|9080|v2|reviews.default.svc.cluster.local
  std::string host;     // destination host as written, FQDN-expanded
  uint32_t port = 0;
  std::string subset;
  uint32_t weight = 0;
  HeaderOps request_headers;
  HeaderOps response_headers;
};

struct RetryPolicy {
  uint32_t attempts = 0;  // retries after the first try
  std::optional<Duration> per_try_timeout;
  std::vector<std::string> retry_on;  // 5xx, gateway-error, reset, connect-failure, ...
  std::vector<uint32_t> retriable_status_codes;
};

struct FaultPolicy {
  std::optional<Duration> delay;
  double delay_percent = 0;
  uint32_t abort_status = 0;  // 0: no abort
  double abort_percent = 0;
};

struct MirrorPolicy {
  std::string cluster;
  std::string host;
  double percent = 100;
};

struct CorsPolicy {
  std::vector<StringMatcher> allow_origins;
  std::string allow_methods;  // joined with ","
  std::string allow_headers;
  std::string expose_headers;
  std::string max_age;  // seconds, as text
  std::optional<bool> allow_credentials;
  bool forward_unmatched_preflights = true;
};

struct RewritePolicy {
  std::string uri;  // replaces the matched prefix (or the whole path for exact/regex)
  std::string authority;
  std::shared_ptr<const RE2> uri_regex;  // uriRegexRewrite.match
  std::string uri_regex_substitution;
};

struct ForwardAction {
  std::vector<WeightedCluster> clusters;
  uint32_t total_weight = 0;
  std::optional<Duration> timeout;  // nullopt: no timeout (Istio's default)
  RetryPolicy retry;                // Istio default: 2 attempts, connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes(503)
  std::optional<RewritePolicy> rewrite;
  std::vector<MirrorPolicy> mirrors;
};

struct RedirectAction {
  std::string scheme;     // "" keeps the request's
  std::string authority;  // "" keeps the request's host
  uint32_t port = 0;      // 0: keep / derive
  model::HTTPRedirect::DerivePort derive_port = model::HTTPRedirect::DerivePort::kNone;
  std::string path;  // "" keeps the request's path
  uint32_t status = 301;
};

struct DirectResponseAction {
  uint32_t status = 200;
  std::string body;
};

struct Route {
  std::string name;                // HTTPRoute.name, or "default" for a service's default route
  std::vector<RouteMatch> matches;  // OR of blocks; empty: match everything
  std::variant<ForwardAction, RedirectAction, DirectResponseAction> action;
  std::optional<FaultPolicy> fault;
  std::optional<CorsPolicy> cors;
  HeaderOps request_headers;
  HeaderOps response_headers;
  std::string virtual_service;  // "name.namespace", "" for generated defaults
  int http_route_index = -1;    // index in the VirtualService's http list
};

struct VirtualHost {
  std::string name;  // "reviews.default.svc.cluster.local:9080", or "*:8080" on gateways
  std::vector<std::string> domains;  // "*" and "*.suffix" wildcards allowed
  std::vector<Route> routes;         // first match wins
};

// An HTTP route table, e.g. "9080" on sidecars or "http.8080" on gateways.
struct RouteTable {
  std::string name;
  std::vector<VirtualHost> virtual_hosts;
  // Built by index(): exact domain (lower-case) -> virtual host, and wildcards.
  // The hash is transparent so lookups by string_view do not allocate.
  struct DomainHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, size_t, DomainHash, std::equal_to<>> exact_domains;
  std::vector<std::pair<std::string, size_t>> wildcard_suffixes;  // "*.x.com" -> ".x.com", longest first
  std::vector<std::pair<std::string, size_t>> wildcard_prefixes;  // "foo.*" -> "foo.", longest first
  std::optional<size_t> catch_all;                                // domain "*"
  void index();
};

struct Endpoint {
  std::string address;
  uint32_t port = 0;
  Labels labels;
  std::string pod;  // workload name, for display
  std::string service_account;
  uint32_t weight = 1;
  bool healthy = true;
};

// The endpoints of a cluster. Proxy configs share them: every sidecar's cluster
// for one service port (and subset) points at the same immutable list, so a
// config costs a pointer per cluster instead of a copy of every endpoint.
using EndpointList = SharedList<Endpoint>;

struct LoadBalancer {
  model::LoadBalancerSettings::Simple simple = model::LoadBalancerSettings::Simple::kLeastRequest;
  std::optional<model::ConsistentHashLB> consistent_hash;
};

struct Cluster {
  std::string name;  // outbound|9080|v2|reviews.default.svc.cluster.local, inbound|9080||
  enum class Direction { kOutbound, kInbound };
  Direction direction = Direction::kOutbound;
  std::string service_host;  // FQDN
  uint32_t port = 0;
  std::string subset;
  LoadBalancer load_balancer;
  std::optional<model::ConnectionPoolSettings> connection_pool;
  std::optional<model::OutlierDetection> outlier_detection;
  std::optional<model::ClientTLSSettings> tls;
  bool passthrough = false;  // ORIGINAL_DST / PassthroughCluster
  EndpointList endpoints;
};

struct Listener {
  std::string name;  // "0.0.0.0_8080", "virtualOutbound", "virtualInbound"
  std::string address = "0.0.0.0";
  uint32_t port = 0;
  enum class Protocol { kHttp, kTcp, kTls };
  Protocol protocol = Protocol::kHttp;
  std::string route_table;  // for HTTP listeners
  std::string tcp_cluster;  // for TCP listeners: the (first) destination
  // TCP listeners whose route splits connections by weight (tcp_cluster is the
  // first of these); empty when all go to tcp_cluster.
  std::vector<WeightedCluster> tcp_weighted;
};

struct ProxyIdentity {
  enum class Type { kSidecar, kGateway };
  Type type = Type::kSidecar;
  std::string name;  // pod (or deployment) name
  std::string ns = "default";
  Labels labels;
  std::string service_account = "default";
  std::string ip;
};

struct ProxyConfig {
  uint64_t version = 0;
  ProxyIdentity proxy;
  std::vector<Listener> listeners;
  SharedList<RouteTable> route_tables;  // shared by proxies with the same scope
  std::vector<Cluster> clusters;
  model::OutboundTrafficPolicy::Mode outbound_policy = model::OutboundTrafficPolicy::Mode::kAllowAny;

  const RouteTable* find_route_table(std::string_view name) const;
  const Cluster* find_cluster(std::string_view name) const;
};

}  // namespace mesh::pc
