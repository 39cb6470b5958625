// Pieces shared by the networking.istio.io decoders: Istio's host, name,
// subnet and protocol rules, and readers for the small messages several kinds
// use (Destination, Headers, StringMatch with Istio's extra rules, ports,
// connection pools and TLS settings).
//
// Checks named check_* return the problem as text ("" when fine) so callers
// can word and place the report; readers named read_* report by themselves.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/api_networking.h"
#include "core/model/decode.h"

namespace mesh::model {

// ------------------------------------------------------------- names and hosts

// RFC 1123 label: lower-case alphanumerics and '-', 1..63 characters.
bool is_dns1123_label(std::string_view s);
// A label that may start with "*" ("*", "*foo", "*-foo") as Istio allows.
bool is_wildcard_dns1123_label(std::string_view s);
bool is_ip_address(std::string_view s);
// "" if `host` is a DNS name (no wildcard).
std::string check_fqdn(std::string_view host);
// "" if `host` is a DNS name whose first label may be a wildcard.
std::string check_wildcard_domain(std::string_view host);
// "" if `s` is an IP address or a CIDR block.
std::string check_ip_subnet(std::string_view s);
// True if the two hosts (with "*." wildcards) could name the same service.
bool hosts_overlap(std::string_view a, std::string_view b);
// True if every name `inner` matches is also matched by `outer`.
bool host_within(std::string_view inner, std::string_view outer);

// Protocols as Istio's protocol.Parse knows them (case-insensitive).
bool is_known_protocol(std::string_view protocol);
bool protocol_is_http(std::string_view protocol);
bool protocol_is_tls(std::string_view protocol);
std::string to_upper(std::string_view s);
std::string to_lower(std::string_view s);

// ------------------------------------------------------------ small readers

// Reads a list of strings; `check` (optional) is called for each item with the
// path at the item, to validate it in place.
using StringCheck = std::function<void(const yaml::Node& at, const std::string& value)>;
bool read_strings(DecodeContext& c, const yaml::Node& n, std::vector<std::string>& out,
                  const StringCheck& check = nullptr);

// Reads a list, calling read_one(item_node, item) with the path at each item.
template <class T, class ReadOne>
void read_each(DecodeContext& c, const yaml::Node& n, std::vector<T>& out, ReadOne read_one) {
  if (!n.is_sequence()) {
    c.error(n, "expected a list, got " + std::string(type_name(n)));
    return;
  }
  out.resize(n.size());
  for (size_t i = 0; i < n.size(); ++i) {
    FieldScope scope(c, i);
    read_one(n[i], out[i]);
  }
}

// The value node of `key` in `map`, or `map` itself when absent (for positions).
yaml::Node child_or_self(const yaml::Node& map, std::string_view key);

// A duration Istio accepts for timeouts: at least 1ms, millisecond precision.
bool read_ms_duration(DecodeContext& c, const yaml::Node& n, std::optional<Duration>& out);

// Kubernetes label keys and values of a map node already read into Labels.
void check_labels(DecodeContext& c, const yaml::Node& map);
// networking.istio.io WorkloadSelector: {labels: {...}} without wildcards.
void read_labels_selector(DecodeContext& c, const yaml::Node& n, std::optional<WorkloadSelector>& out);
// type.v1beta1 WorkloadSelector: {matchLabels: {...}} without wildcards.
void read_match_labels_selector(DecodeContext& c, const yaml::Node& n, std::optional<WorkloadSelector>& out);

// Gateway references of a VirtualService or a match: "mesh", "name",
// "ns/name" (legacy "name.ns" warns).
void check_gateway_name(DecodeContext& c, const yaml::Node& at, const std::string& name);

// exportTo of VirtualService, DestinationRule and ServiceEntry.
struct ExportToRules {
  bool allow_none = false;              // "~" (ServiceEntry only)
  bool current_namespace_only = false;  // DestinationRule with a workloadSelector
};
void read_export_to(DecodeContext& c, const yaml::Node& n, const std::string& ns, const ExportToRules& rules,
                    std::vector<std::string>& out);

// Istio's StringMatch rules on top of the shared reader: prefix and regex
// must not be empty (unless `allow_empty_prefix`), regexes compile and stay
// under 1024 characters. `star_is_presence` accepts regex "*".
struct StringMatchRules {
  bool allow_empty_prefix = false;
  bool star_is_presence = false;
};
bool read_string_match(DecodeContext& c, const yaml::Node& n, StringMatch& out,
                       const StringMatchRules& rules = {});

// A regex Istio accepts: non-empty, at most 1024 characters, compiles with RE2.
bool check_istio_regex(DecodeContext& c, const yaml::Node& at, const std::string& pattern);

// Destination {host, subset, port}; host required, "*" not allowed.
bool read_destination(DecodeContext& c, const yaml::Node& n, Destination& out);
// A map with a required `destination` beside the given other fields: the
// entries of route[] (HTTP, TLS, TCP) and mirrors[].
void read_with_destination(DecodeContext& c, const yaml::Node& n, Destination& out,
                           std::initializer_list<Field> others);
// A route destination's `weight`: not negative.
void read_weight(DecodeContext& c, const yaml::Node& n, int32_t& out);
// A list of weighted destinations (HTTP, TLS or TCP route[]): with several
// destinations, not every weight may be 0.
template <class D>
void read_weighted_destinations(DecodeContext& c, const yaml::Node& n, std::vector<D>& out) {
  if (!read(c, n, out)) return;
  int64_t total = 0;
  for (const D& d : out) total += d.weight;
  if (out.size() > 1 && total == 0)
    c.error(n, "the weights of a route with several destinations must not all be 0");
}
// Headers {request, response} with header-name and value rules.
void read_headers(DecodeContext& c, const yaml::Node& n, Headers& out);
// A header name a match may use: an HTTP token or "@request.auth.claims.*".
bool is_match_header_name(std::string_view name);
bool is_jwt_claim_header(std::string_view name);

// Problems with a "namespace/dnsName" host of a Gateway server (where the
// namespace part is optional and IPs are allowed) or a Sidecar egress listener.
std::vector<std::string> check_namespace_host(std::string_view host, bool gateway);

// WorkloadEntry spec, also the endpoints of a ServiceEntry (decode_networking.cc).
void read_workload_entry_spec(DecodeContext& c, const yaml::Node& n, WorkloadEntrySpec& out);
// Istio's rules for a workload entry; `service_ports` (port names of the
// ServiceEntry) is null for a standalone WorkloadEntry.
void check_workload_entry(DecodeContext& c, const yaml::Node& n, const WorkloadEntrySpec& we,
                          const std::vector<std::string>* service_ports, bool allow_fqdn);

// Port {number, protocol, name, targetPort} of a Gateway server or a Sidecar
// listener; number 0 is allowed here and checked by the caller.
void read_server_port(DecodeContext& c, const yaml::Node& n, ServerPort& out);
// "" if `bind` is empty, an IP address or unix://<absolute path>.
std::string check_bind(std::string_view bind);
std::string check_unix_address(std::string_view path);

// VirtualService http[] entries (decode_http_route*.cc).
struct HttpRouteContext {
  bool delegate_vs = false;    // the VirtualService has no hosts: it is a delegate
  bool gateway_bound = false;  // bound only to gateways, not to the mesh
};
void read_http_route(DecodeContext& c, const yaml::Node& n, HTTPRoute& out, const HttpRouteContext& ctx);
void read_redirect(DecodeContext& c, const yaml::Node& n, HTTPRedirect& out);
void read_direct_response(DecodeContext& c, const yaml::Node& n, HTTPDirectResponse& out);
void read_rewrite(DecodeContext& c, const yaml::Node& n, HTTPRewrite& out);
void read_retries(DecodeContext& c, const yaml::Node& n, HTTPRetry& out);
void read_fault(DecodeContext& c, const yaml::Node& n, HTTPFaultInjection& out);
void read_cors_policy(DecodeContext& c, const yaml::Node& n, CorsPolicy& out);

// DestinationRule and subset traffic policies (decode_traffic_policy.cc).
void read_traffic_policy(DecodeContext& c, const yaml::Node& n, TrafficPolicy& out);
// Shared by DestinationRule and Sidecar.
void read_connection_pool(DecodeContext& c, const yaml::Node& n, ConnectionPoolSettings& out);
// Server-side TLS of a Gateway server or a Sidecar ingress listener.
void read_server_tls(DecodeContext& c, const yaml::Node& n, ServerTLSSettings& out);

}  // namespace mesh::model
