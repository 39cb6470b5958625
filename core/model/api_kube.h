// The Kubernetes objects the mesh reads. Only the fields the mesh uses are typed;
// `raw` keeps the whole document for tools (inject) that rewrite it.
#pragma once

#include <yaml-cpp/yaml.h>

#include "core/model/api_common.h"

namespace mesh::model {

struct Namespace {
  Meta meta;
};

struct ServiceAccount {
  Meta meta;
};

struct KubeServicePort {
  std::string name;
  uint32_t port = 0;
  uint32_t target_port = 0;         // numeric targetPort (0: same as port)
  std::string target_port_name;     // named targetPort
  std::string protocol = "TCP";     // TCP | UDP | SCTP
  std::string app_protocol;
  Pos pos;  // of the port entry, for cross-object findings
};

struct Service {
  Meta meta;
  Labels selector;
  std::vector<KubeServicePort> ports;
  std::string cluster_ip;  // "", "None" (headless) or an address
  std::string type = "ClusterIP";
  std::string external_name;
};

struct ContainerPort {
  std::string name;
  uint32_t container_port = 0;
  std::string protocol = "TCP";
};

struct Container {
  std::string name;
  std::string image;
  std::vector<ContainerPort> ports;
};

// A pod template (or a Pod's own metadata + spec).
struct PodTemplate {
  Labels labels;
  Labels annotations;
  std::string service_account;  // spec.serviceAccountName ("default" when empty)
  bool host_network = false;
  std::vector<Container> containers;
};

struct Pod {
  Meta meta;
  PodTemplate spec;  // labels/annotations copied from meta
  std::string pod_ip;  // status.podIP
  std::string node_name;
  YAML::Node raw;
};

// Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob.
struct Workload {
  Meta meta;
  int32_t replicas = 1;
  Labels selector;  // spec.selector.matchLabels
  PodTemplate template_;
  YAML::Node raw;
};

struct EndpointSliceEndpoint {
  std::vector<std::string> addresses;
  bool ready = true;
  std::string target_pod;  // targetRef.name when kind == Pod
};

struct EndpointSlicePort {
  std::string name;
  uint32_t port = 0;
  std::string protocol = "TCP";
};

struct EndpointSlice {
  Meta meta;
  std::string service_name;  // label kubernetes.io/service-name
  std::string address_type = "IPv4";
  std::vector<EndpointSliceEndpoint> endpoints;
  std::vector<EndpointSlicePort> ports;
};

}  // namespace mesh::model
