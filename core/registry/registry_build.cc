// Building the registry from a ConfigSet: workloads first (Pods, synthetic pods
// for Deployments & co., WorkloadEntries), then services with their endpoints.
#include <algorithm>
#include <cstdio>
#include <set>
#include <unordered_set>

#include "core/model/hash.h"
#include "core/registry/registry.h"

namespace mesh::registry {
namespace {

std::string ipv4(uint32_t base, uint32_t offset) {
  const uint32_t a = base + offset;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
  return buf;
}

constexpr uint32_t kPodBase = (10u << 24) | (244u << 16);  // 10.244.0.0/16
constexpr uint32_t kVipBase = (10u << 24) | (96u << 16);   // 10.96.0.0/16
constexpr uint32_t kBlockSize = 65534;                     // usable offsets 1..65534

int32_t replicas_of(const model::Workload& w) {
  const std::string& kind = w.meta.kind;
  if (kind == "DaemonSet" || kind == "Job" || kind == "CronJob") return 1;
  return std::max(w.replicas, 0);
}

std::vector<std::string> export_annotation(const model::Meta& meta) {
  std::vector<std::string> out;
  auto it = meta.annotations.find("networking.istio.io/exportTo");
  if (it == meta.annotations.end()) return out;
  std::string item;
  for (char c : it->second + ",") {
    if (c == ',') {
      if (!item.empty()) out.push_back(item);
      item.clear();
    } else if (c != ' ') {
      item += c;
    }
  }
  return out;
}

}  // namespace

class RegistryBuilder {
 public:
  explicit RegistryBuilder(const model::ConfigSet& config) : config_(config) {}

  Registry build() {
    add_pods();
    index_labels();
    add_synthetic_pods();
    add_workload_entries();
    assign_pod_ips();
    index_labels();
    for (const model::Service& s : config_.services) add_kube_service(s);
    allocate_vips();
    for (const model::ServiceEntry& se : config_.service_entries) add_service_entry(se);
    r_.index();
    return std::move(r_);
  }

 private:
  const model::ConfigSet& config_;
  Registry r_;
  std::unordered_set<std::string> used_ips_;
  // "ns\x1fkey=value" -> workloads carrying that label, for selector lookups.
  std::unordered_map<std::string, std::vector<size_t>> label_index_;
  std::unordered_map<std::string, int> by_name_;  // "ns/name" -> workload
  std::unordered_map<std::string, int> by_ip_;    // "ns/ip" -> workload

  static Workload from_template(const model::Meta& meta, const model::PodTemplate& t) {
    Workload w;
    w.name = meta.name;
    w.ns = meta.ns.empty() ? "default" : meta.ns;
    w.labels = t.labels;
    if (!t.service_account.empty()) w.service_account = t.service_account;
    for (const model::Container& c : t.containers) {
      for (const model::ContainerPort& p : c.ports) {
        if (!p.name.empty()) w.named_ports.emplace(p.name, p.container_port);
      }
    }
    return w;
  }

  void add_pods() {
    for (const model::Pod& pod : config_.pods) {
      Workload w = from_template(pod.meta, pod.spec);
      if (w.labels.empty()) w.labels = pod.meta.labels;
      w.ip = pod.pod_ip;
      if (!w.ip.empty()) used_ips_.insert(w.ip);
      r_.workloads_.push_back(std::move(w));
    }
  }

  bool has_real_pods(const model::Workload& w) const {
    const std::string ns = w.meta.ns.empty() ? "default" : w.meta.ns;
    const Labels& selector = w.selector.empty() ? w.template_.labels : w.selector;
    return !select(ns, selector).empty();  // only real pods are indexed at this point
  }

  // Offline views need endpoints: every replica becomes a pod "<name>-<i>".
  void add_synthetic_pods() {
    std::vector<const model::Workload*> sorted;
    for (const model::Workload& w : config_.workloads) sorted.push_back(&w);
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
      return std::tie(a->meta.ns, a->meta.name) < std::tie(b->meta.ns, b->meta.name);
    });
    const bool any_pods = !config_.pods.empty();
    for (const model::Workload* w : sorted) {
      if (any_pods && has_real_pods(*w)) continue;
      for (int32_t i = 0; i < replicas_of(*w); ++i) {
        Workload pod = from_template(w->meta, w->template_);
        pod.kind = Workload::Kind::kSyntheticPod;
        pod.owner = w->meta.name;
        pod.name = w->meta.name + "-" + std::to_string(i);
        r_.workloads_.push_back(std::move(pod));
      }
    }
  }

  void add_workload_entries() {
    for (const model::WorkloadEntry& we : config_.workload_entries) {
      Workload w;
      w.kind = Workload::Kind::kWorkloadEntry;
      w.name = we.meta.name;
      w.ns = we.meta.ns.empty() ? "default" : we.meta.ns;
      w.labels = we.spec.labels.empty() ? we.meta.labels : we.spec.labels;
      w.ip = we.spec.address;
      if (!we.spec.service_account.empty()) w.service_account = we.spec.service_account;
      for (const auto& [name, port] : we.spec.ports) w.named_ports.emplace(name, port);
      w.weight = we.spec.weight == 0 ? 1 : we.spec.weight;
      if (!w.ip.empty()) used_ips_.insert(w.ip);
      r_.workloads_.push_back(std::move(w));
    }
  }

  void assign_pod_ips() {
    uint32_t next = 1;
    for (Workload& w : r_.workloads_) {
      if (!w.ip.empty() || w.kind == Workload::Kind::kWorkloadEntry) continue;
      while (next <= kBlockSize && used_ips_.count(ipv4(kPodBase, next))) ++next;
      if (next > kBlockSize) break;  // more pods than the block holds: leave the rest without IPs
      w.ip = ipv4(kPodBase, next++);
      used_ips_.insert(w.ip);
    }
  }

  static std::string label_key(std::string_view ns, std::string_view key, std::string_view value) {
    std::string out(ns);
    out += '\x1f';
    out += key;
    out += '=';
    out += value;
    return out;
  }

  void index_labels() {
    label_index_.clear();
    for (size_t i = 0; i < r_.workloads_.size(); ++i) {
      const Workload& w = r_.workloads_[i];
      for (const auto& [key, value] : w.labels) label_index_[label_key(w.ns, key, value)].push_back(i);
      by_name_[w.ns + "/" + w.name] = static_cast<int>(i);
      if (!w.ip.empty()) by_ip_[w.ns + "/" + w.ip] = static_cast<int>(i);
    }
  }

  // Workloads in `ns` matching a non-empty selector, in workload order.
  std::vector<size_t> select(std::string_view ns, const Labels& selector) const {
    std::vector<size_t> out;
    if (selector.empty()) return out;
    const auto& [key, value] = *selector.begin();
    auto it = label_index_.find(label_key(ns, key, value));
    if (it == label_index_.end()) return out;
    for (size_t i : it->second) {
      if (selects(selector, r_.workloads_[i].labels)) out.push_back(i);
    }
    return out;
  }

  static uint32_t endpoint_port(const Port& port, const Workload& w) {
    if (!port.target_port_name.empty()) {
      auto it = w.named_ports.find(port.target_port_name);
      return it == w.named_ports.end() ? 0 : it->second;
    }
    // WorkloadEntry ports map service port names to the workload's ports.
    auto named = w.named_ports.find(port.name);
    if (w.kind == Workload::Kind::kWorkloadEntry && named != w.named_ports.end()) return named->second;
    return port.target_port ? port.target_port : port.number;
  }

  void add_selected_endpoints(Service& s, const std::vector<size_t>& selected) {
    for (Port& port : s.ports) {
      for (size_t i : selected) {
        const Workload& w = r_.workloads_[i];
        const uint32_t target = endpoint_port(port, w);
        if (target == 0 || w.ip.empty()) continue;
        port.endpoints.push_back(Endpoint{w.ip, target, static_cast<int>(i), true});
      }
    }
  }

  int workload_by_ip_or_name(const std::string& ns, const model::EndpointSliceEndpoint& e) const {
    const auto& [map, key] = !e.target_pod.empty()  ? std::pair(&by_name_, ns + "/" + e.target_pod)
                             : !e.addresses.empty() ? std::pair(&by_ip_, ns + "/" + e.addresses[0])
                                                    : std::pair(&by_ip_, std::string());
    auto it = map->find(key);
    return it == map->end() ? -1 : it->second;
  }

  // EndpointSlices, when the input has them for a service, replace selector matching.
  bool add_slice_endpoints(Service& s) {
    bool found = false;
    for (const model::EndpointSlice& slice : config_.endpoint_slices) {
      const std::string ns = slice.meta.ns.empty() ? "default" : slice.meta.ns;
      if (slice.service_name != s.name || ns != s.ns) continue;
      found = true;
      for (Port& port : s.ports) {
        for (const model::EndpointSlicePort& sp : slice.ports) {
          if (sp.name != port.name && !(s.ports.size() == 1 && sp.name.empty())) continue;
          for (const model::EndpointSliceEndpoint& e : slice.endpoints) {
            const int w = workload_by_ip_or_name(ns, e);
            for (const std::string& addr : e.addresses) port.endpoints.push_back({addr, sp.port, w, e.ready});
          }
        }
      }
    }
    return found;
  }

  void add_kube_service(const model::Service& k) {
    Service s;
    s.name = k.meta.name;
    s.ns = k.meta.ns.empty() ? "default" : k.meta.ns;
    s.hostname = s.name + "." + s.ns + "." + std::string(kDomainSuffix);
    s.source = "Service/" + s.ns + "/" + s.name;
    s.vip = k.cluster_ip == "None" ? "" : k.cluster_ip;
    if (!s.vip.empty()) used_ips_.insert(s.vip);
    s.vip_allocated = k.cluster_ip.empty() && k.type != "ExternalName";
    s.selector = k.selector;
    s.has_selector = !k.selector.empty();
    s.export_to = export_annotation(k.meta);
    for (const model::KubeServicePort& kp : k.ports) {
      Port p;
      p.name = kp.name;
      p.number = kp.port;
      p.target_port = kp.target_port;
      p.target_port_name = kp.target_port_name;
      p.protocol = protocol_from_name(kp.app_protocol.empty() ? kp.name : kp.app_protocol);
      if (kp.protocol == "UDP") p.protocol = Protocol::kUdp;
      s.ports.push_back(std::move(p));
    }
    if (!add_slice_endpoints(s)) add_selected_endpoints(s, select(s.ns, s.selector));
    r_.services_.push_back(std::move(s));
  }

  // Deterministic: the same set of services always gets the same VIPs.
  void allocate_vips() {
    std::vector<Service*> need;
    for (Service& s : r_.services_) {
      if (s.vip_allocated) need.push_back(&s);
    }
    std::sort(need.begin(), need.end(), [](auto* a, auto* b) { return a->hostname < b->hostname; });
    for (Service* s : need) {
      uint32_t offset = static_cast<uint32_t>(model::fnv1a(s->hostname) % kBlockSize);
      for (uint32_t tries = 0; tries < kBlockSize; ++tries, offset = (offset + 1) % kBlockSize) {
        std::string ip = ipv4(kVipBase, offset + 1);
        if (used_ips_.insert(ip).second) {
          s->vip = std::move(ip);
          break;
        }
      }
    }
  }

  int add_entry_workload(const model::ServiceEntry& se, size_t index, const model::WorkloadEntrySpec& spec) {
    Workload w;
    w.kind = Workload::Kind::kServiceEntryEndpoint;
    w.name = se.meta.name + "-" + std::to_string(index);
    w.ns = se.meta.ns.empty() ? "default" : se.meta.ns;
    w.labels = spec.labels;
    w.ip = spec.address;
    if (!spec.service_account.empty()) w.service_account = spec.service_account;
    for (const auto& [name, port] : spec.ports) w.named_ports.emplace(name, port);
    w.weight = spec.weight == 0 ? 1 : spec.weight;
    r_.workloads_.push_back(std::move(w));
    return static_cast<int>(r_.workloads_.size() - 1);
  }

  void add_entry_endpoints(Service& s, const model::ServiceEntry& se, const std::vector<int>& inline_eps) {
    using R = model::ServiceEntry::Resolution;
    if (se.workload_selector) {
      add_selected_endpoints(s, select(s.ns, se.workload_selector->match_labels));
      return;
    }
    for (Port& port : s.ports) {
      for (int i : inline_eps) {
        const Workload& w = r_.workloads_[i];
        auto named = w.named_ports.find(port.name);
        const uint32_t target = named != w.named_ports.end() ? named->second
                                : port.target_port           ? port.target_port
                                                             : port.number;
        port.endpoints.push_back({w.ip, target, i, true});
      }
      // DNS resolution without endpoints: the host itself is the endpoint.
      const bool dns = se.resolution == R::kDns || se.resolution == R::kDnsRoundRobin;
      if (inline_eps.empty() && dns && !s.hostname.starts_with("*")) {
        port.endpoints.push_back({s.hostname, port.target_port ? port.target_port : port.number, -1, true});
      }
    }
  }

  void add_service_entry(const model::ServiceEntry& se) {
    std::vector<int> inline_eps;
    for (size_t i = 0; i < se.endpoints.size(); ++i)
      inline_eps.push_back(add_entry_workload(se, i, se.endpoints[i]));
    const std::string ns = se.meta.ns.empty() ? "default" : se.meta.ns;
    for (const std::string& host : se.hosts) {
      Service s;
      s.origin = Service::Origin::kServiceEntry;
      s.hostname = host;
      s.name = host;
      s.ns = ns;
      s.source = "ServiceEntry/" + ns + "/" + se.meta.name;
      for (const std::string& a : se.addresses) {
        if (a.find('/') == std::string::npos) {
          s.vip = a;
          break;
        }
      }
      s.export_to = se.export_to;
      s.mesh_external = se.location == model::ServiceEntry::Location::kMeshExternal;
      s.resolution = se.resolution;
      for (const model::ServicePort& sp : se.ports) {
        s.ports.push_back(Port{sp.name, sp.number, sp.target_port, "", protocol_from_name(sp.protocol), {}});
      }
      add_entry_endpoints(s, se, inline_eps);
      r_.services_.push_back(std::move(s));
    }
  }
};

Registry Registry::build(const model::ConfigSet& config) {
  return RegistryBuilder(config).build();
}

}  // namespace mesh::registry
