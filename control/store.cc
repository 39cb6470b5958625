#include "control/store.h"

namespace mesh::control {
namespace {

template <class T>
void add(std::vector<T>& into, const std::vector<T>& from) {
  into.insert(into.end(), from.begin(), from.end());
}

}  // namespace

void append(model::ConfigSet& into, const model::ConfigSet& from) {
  add(into.virtual_services, from.virtual_services);
  add(into.destination_rules, from.destination_rules);
  add(into.gateways, from.gateways);
  add(into.service_entries, from.service_entries);
  add(into.workload_entries, from.workload_entries);
  add(into.sidecars, from.sidecars);
  add(into.peer_authentications, from.peer_authentications);
  add(into.authorization_policies, from.authorization_policies);
  add(into.request_authentications, from.request_authentications);
  add(into.namespaces, from.namespaces);
  add(into.services, from.services);
  add(into.service_accounts, from.service_accounts);
  add(into.pods, from.pods);
  add(into.workloads, from.workloads);
  add(into.endpoint_slices, from.endpoint_slices);
}

model::ConfigSet merge(const std::vector<const ConfigSource*>& sources) {
  model::ConfigSet out;
  for (const ConfigSource* s : sources) s->contribute(out);
  return out;
}

}  // namespace mesh::control
