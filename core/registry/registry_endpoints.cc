// Endpoint lists as proxy configs hold them, built once per registry and shared.
#include <mutex>

#include "core/registry/registry.h"

namespace mesh::registry {

struct Registry::EndpointCache {
  std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<pc::EndpointList::List>> lists;
};

namespace {

pc::Endpoint proxy_endpoint(const Endpoint& e, const Workload* w) {
  pc::Endpoint out;
  out.address = e.address;
  out.port = e.port;
  out.healthy = e.ready;
  if (w != nullptr) {
    out.labels = w->labels;
    out.pod = w->name;
    out.service_account = w->service_account;
    out.weight = w->weight;
  }
  return out;
}

// Service and port by position (the same in a copy of the registry), then the
// subset's labels; "*" marks the whole port, which differs from an empty subset
// selector (that one still needs a known workload).
std::string cache_key(size_t service, size_t port, const Labels* subset) {
  std::string key = std::to_string(service) + ':' + std::to_string(port);
  if (subset == nullptr) return key + ":*";
  key += ':';
  for (const auto& [name, value] : *subset) {
    key += name;
    key += '\0';
    key += value;
    key += '\0';
  }
  return key;
}

}  // namespace

void Registry::reset_endpoint_cache() {
  endpoint_cache_ = std::make_shared<EndpointCache>();
}

pc::EndpointList Registry::endpoints(const Service& service, const Port& port, const Labels* subset) const {
  const auto build = [&] {
    auto list = std::make_shared<pc::EndpointList::List>();
    list->reserve(port.endpoints.size());
    for (const Endpoint& e : port.endpoints) {
      const Workload* w = workload_of(e);
      if (subset != nullptr && !(w != nullptr && selects(*subset, w->labels))) continue;
      list->push_back(proxy_endpoint(e, w));
    }
    return list;
  };
  if (!endpoint_cache_) return pc::EndpointList(build());  // a registry never indexed
  const std::string key = cache_key(static_cast<size_t>(&service - services_.data()),
                                    static_cast<size_t>(&port - service.ports.data()), subset);
  std::lock_guard<std::mutex> lock(endpoint_cache_->mu);
  std::shared_ptr<pc::EndpointList::List>& list = endpoint_cache_->lists[key];
  if (!list) list = build();
  return pc::EndpointList(list);
}

}  // namespace mesh::registry
