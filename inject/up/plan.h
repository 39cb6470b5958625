// What a local mesh should run, computed from its config: one entry per pod
// of every Deployment whose pod template has `mesh.local/run`, the names pods
// resolve (services → VIPs), and the ports the built-in ingress gateway binds
// (the Gateway servers that select it). Pure: the supervisor compares plans
// to decide what to start and stop.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/model/config_set.h"

namespace mesh::up {

// Labels of the built-in ingress gateway, so Istio's Gateway YAML binds unchanged.
inline const model::Labels kGatewayLabels = {{"app", "istio-ingressgateway"}, {"istio", "ingressgateway"}};

struct Readiness {
  enum class Kind { kRunning, kTcp, kHttp };
  Kind kind = Kind::kRunning;  // kRunning: ready while the process runs
  uint32_t port = 0;
  std::string path;  // kHttp
};

// One Deployment's pods: everything needed to start one replica.
struct PodTemplatePlan {
  std::string deployment;  // "namespace/name"
  std::string ns, name_prefix;  // pods are "<name_prefix><random 5>"
  std::string hash;             // of the template: a change replaces the pods
  int replicas = 1;
  model::Labels labels;
  std::string service_account = "default";
  std::vector<std::pair<std::string, uint32_t>> ports;  // container ports (name may be "")
  std::string command, workdir;
  std::vector<std::pair<std::string, std::string>> env;  // from the container spec
  Readiness readiness;
};

struct Plan {
  std::vector<PodTemplatePlan> deployments;
  struct ServiceVip {
    std::string name, ns, vip;
  };
  std::vector<ServiceVip> services;     // Kubernetes Services with a VIP
  std::vector<uint32_t> gateway_ports;       // sorted, HTTP servers of Gateways selecting the gateway
};

Plan plan_of(const model::ConfigSet& config);

// The names a pod in namespace `ns` resolves: `svc.ns` and the FQDN of every
// service, and the short `svc` of those in its own namespace.
std::map<std::string, std::string> hosts_for(const Plan& plan, const std::string& ns);

// The environment of one app process: the container's env plus POD_NAME,
// POD_NAMESPACE, POD_IP, SERVICE_ACCOUNT and PORT (the first container port).
std::vector<std::pair<std::string, std::string>> app_env(const PodTemplatePlan& t, const std::string& pod_name,
                                                         const std::string& pod_ip);

}  // namespace mesh::up
