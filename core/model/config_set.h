// Everything decoded from a set of inputs: Istio config and Kubernetes objects.
#pragma once

#include <vector>

#include "core/model/api_kube.h"
#include "core/model/api_networking.h"
#include "core/model/api_security.h"

namespace mesh::model {

struct ConfigSet {
  // networking.istio.io
  std::vector<VirtualService> virtual_services;
  std::vector<DestinationRule> destination_rules;
  std::vector<Gateway> gateways;
  std::vector<ServiceEntry> service_entries;
  std::vector<WorkloadEntry> workload_entries;
  std::vector<Sidecar> sidecars;
  // security.istio.io
  std::vector<PeerAuthentication> peer_authentications;
  std::vector<AuthorizationPolicy> authorization_policies;
  std::vector<RequestAuthentication> request_authentications;
  // Kubernetes
  std::vector<Namespace> namespaces;
  std::vector<Service> services;
  std::vector<ServiceAccount> service_accounts;
  std::vector<Pod> pods;
  std::vector<Workload> workloads;  // Deployment, StatefulSet, DaemonSet, ...
  std::vector<EndpointSlice> endpoint_slices;
};

}  // namespace mesh::model
