// The service registry: what the mesh knows about services, workloads and
// endpoints, built once from a ConfigSet (Kubernetes Services, ServiceEntries,
// Pods, Deployments & co., WorkloadEntries, EndpointSlices). Immutable after
// build(); translation reads it for every proxy, so lookups are indexed.
//
// Offline inputs rarely carry cluster state, so the registry fills the gaps
// deterministically: a Service without a clusterIP gets a VIP from 10.96.0.0/16,
// and every replica of a Deployment (StatefulSet, ...) without matching Pods in
// the input becomes a synthetic pod "<name>-<i>" with an IP from 10.244.0.0/16.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/model/config_set.h"
#include "core/proxyconfig/proxy_config.h"

namespace mesh::registry {

using model::Labels;

inline constexpr std::string_view kDomainSuffix = "svc.cluster.local";

// Application protocol of a port, from appProtocol or the port name prefix
// ("http-web" -> HTTP). kUnknown ports are sniffed, so they get HTTP routes too.
enum class Protocol { kUnknown, kHttp, kHttp2, kGrpc, kHttps, kTls, kTcp, kUdp, kMongo, kRedis, kMysql };

Protocol protocol_from_name(std::string_view port_name_or_protocol);
std::string_view protocol_name(Protocol p);
// HTTP-family or sniffed: routed with HTTP route tables.
bool is_http_like(Protocol p);

struct Workload;

struct Endpoint {
  std::string address;
  uint32_t port = 0;
  int workload = -1;  // index in Registry::workloads(), -1 when unknown (EndpointSlice address)
  bool ready = true;
};

struct Port {
  std::string name;
  uint32_t number = 0;
  uint32_t target_port = 0;      // 0: same as number (or resolved by name per workload)
  std::string target_port_name;  // named targetPort, resolved against container ports
  Protocol protocol = Protocol::kUnknown;
  std::vector<Endpoint> endpoints;
};

struct Service {
  enum class Origin { kKubernetes, kServiceEntry };
  Origin origin = Origin::kKubernetes;
  std::string hostname;  // FQDN: name.ns.svc.cluster.local, or the ServiceEntry host
  std::string name;      // short name (Kubernetes) or the host (ServiceEntry)
  std::string ns;
  std::string vip;             // "" for headless / ServiceEntries without addresses
  bool vip_allocated = false;  // true when the registry made the VIP up
  std::vector<Port> ports;
  Labels selector;
  bool has_selector = false;
  std::vector<std::string> export_to;  // empty: "*"
  bool mesh_external = false;
  model::ServiceEntry::Resolution resolution = model::ServiceEntry::Resolution::kStatic;
  std::string source;  // "Service/ns/name" or "ServiceEntry/ns/name"

  const Port* find_port(uint32_t number) const;
};

struct Workload {
  enum class Kind { kPod, kSyntheticPod, kWorkloadEntry, kServiceEntryEndpoint };
  Kind kind = Kind::kPod;
  std::string name;
  std::string ns;
  Labels labels;
  std::string ip;
  std::string service_account = "default";
  std::string owner;                                      // Deployment etc. name for synthetic pods
  std::unordered_map<std::string, uint32_t> named_ports;  // container ports / WorkloadEntry ports
  uint32_t weight = 1;
};

// True if every selector label is present in labels with the same value.
// An empty selector selects everything.
bool selects(const Labels& selector, const Labels& labels);

// Istio's short name resolution: "reviews" in namespace "default" becomes
// "reviews.default.svc.cluster.local"; names with a dot, IPs and "*" are kept.
std::string resolve_host(std::string_view host, std::string_view ns);

// Whether an exportTo list (empty: "*") makes an object from `owner_ns` visible to `ns`.
bool exported_to(const std::vector<std::string>& export_to, std::string_view owner_ns, std::string_view ns);

// Host matching with wildcards ("*", "*.example.com") on either side, as Istio does.
bool host_matches(std::string_view pattern, std::string_view host);

// Lets the indexes below be searched with a string_view, without a copy.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

class Registry {
 public:
  static Registry build(const model::ConfigSet& config);

  const std::vector<Service>& services() const { return services_; }
  const std::vector<Workload>& workloads() const { return workloads_; }

  // Exact hostname (FQDN or ServiceEntry host). Kubernetes services win over
  // ServiceEntries with the same host.
  const Service* find(std::string_view hostname) const;
  // A host as written in config in namespace `ns` (short names resolved).
  const Service* lookup(std::string_view host, std::string_view ns) const;
  const Service* find_by_vip(std::string_view vip, uint32_t port) const;
  const Workload* find_workload(std::string_view ns, std::string_view name) const;
  // Indexes of services exposing `port` (any protocol).
  const std::vector<size_t>& services_on_port(uint32_t port) const;
  const Workload* workload_of(const Endpoint& e) const;

  // The endpoints of `port` of `service` (both of this registry) as proxy
  // configs hold them, narrowed to the workloads whose labels `subset` selects
  // (nullptr: every endpoint). Built once per (service, port, subset labels) and
  // shared by every proxy config after that, so translating one more sidecar
  // copies no endpoint. Safe to call from several threads.
  pc::EndpointList endpoints(const Service& service, const Port& port, const Labels* subset) const;

 private:
  friend class RegistryBuilder;
  struct EndpointCache;
  std::vector<Service> services_;
  std::vector<Workload> workloads_;
  StringMap<size_t> by_host_;
  StringMap<size_t> by_vip_;
  std::unordered_map<std::string, size_t> workload_by_name_;  // "ns/name"
  std::unordered_map<uint32_t, std::vector<size_t>> by_port_;
  std::shared_ptr<EndpointCache> endpoint_cache_;  // copies of a registry share it: same indexes, same lists
  void index();
  void reset_endpoint_cache();
};

}  // namespace mesh::registry
