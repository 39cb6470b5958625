// The local mesh's kubelet: runs the pods of a Plan on an isolated pod network
// (inject/podnet), each with `mesh iptables` applied, a sidecar (uid 1337) and
// its application, plus the control plane (pod "istiod") and the ingress gateway
// (pod "istio-ingressgateway"); restarts what crashes with backoff, probes
// readiness, forwards the gateway's and the control plane's ports to 127.0.0.1,
// follows config changes (new Services, Deployments, Gateway ports) and
// publishes its status in state.json. On SIGTERM/SIGINT it stops every process
// and removes the network and its files.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/net/dir_watch.h"
#include "core/net/loop.h"
#include "core/net/relay.h"
#include "inject/podnet/podnet.h"
#include "inject/iptables_apply.h"
#include "inject/up/plan.h"
#include "inject/up/prober.h"
#include "inject/up/state.h"

namespace mesh::up {

// The local pod network's fixed addresses: the bridge, the control plane pod
// and the gateway pod; application pods get .10 and up.
namespace addresses {
constexpr const char* kBridge = "10.244.0.1";
constexpr const char* kControlIp = "10.244.0.2";
constexpr uint16_t kControlPort = 15010;  // istiod's plain port
constexpr const char* kControl = "10.244.0.2:15010";
constexpr const char* kGatewayIp = "10.244.0.3";
constexpr const char* kPodSubnet = "10.244.0.";
}  // namespace addresses

struct UpOptions {
  std::string profile = "default";
  bool ephemeral_ports = false;  // host listeners on kernel-chosen ports (tests)
  uint16_t control_port = 15010;
  bool foreground = true;  // print progress on stderr
};

// One process of a pod, restarted with backoff while wanted.
struct Proc {
  std::string log_name;
  std::string pod;  // pod network id
  podnet::SpawnSpec spec;
  pid_t pid = 0;
  bool wanted = true;
  bool replacing = false;  // stopped on purpose to start with new arguments
  int restarts = 0;
  int exits = 0;
  uint64_t started_ms = 0, next_start_ms = 0;
};

struct LocalPod {
  PodStatus status;
  std::string net_id, hash;
  Proc sidecar, app;
  Readiness readiness;
  PodTemplatePlan spec;  // labels, service account, ports: what the registry needs
  bool published = false;  // listed in config/_pods (an endpoint) while ready
  bool terminating = false;
  uint64_t kill_at_ms = 0;
};

class Supervisor {
 public:
  explicit Supervisor(UpOptions options);
  ~Supervisor();
  // Builds the network and starts everything; runs until stopped. Exit code.
  int run();

 private:
  bool start(std::string& error);
  bool start_infra(std::string& error);
  void tick();
  void shutdown();
  void finish_shutdown();
  void close_forwards();

  // Processes (supervisor_procs.cc).
  void reap(Proc& p, uint64_t now);
  void maybe_start(Proc& p, uint64_t now);
  bool run_to_end(const std::string& pod, const std::vector<std::string>& argv, std::string& error);
  std::vector<Proc*> all_procs();

  // Pods and config (supervisor_pods.cc).
  void reload_config();
  void reconcile(const Plan& plan);
  bool create_pod(const PodTemplatePlan& t, std::string& error);
  void terminate_pod(LocalPod& pod, uint64_t now);
  void sweep_pods(uint64_t now);
  void set_gateway_ports(const std::vector<uint32_t>& ports);
  std::string allocate_ip();
  std::vector<std::string> config_dirs() const;

  // Status (supervisor_status.cc).
  void update_status();
  void publish(LocalPod& pod, bool ready);
  bool listen_host(uint16_t port, const std::string& pod_ip, uint16_t pod_port, std::string& error);

  UpOptions options_;
  Paths paths_;
  std::unique_ptr<net::DirWatch> watch_;  // before loop_: its handles close with the loop
  net::Loop loop_;
  uv_timer_t tick_{};
  uv_signal_t sigterm_{}, sigint_{};
  inject::ProcessRunner runner_;
  std::unique_ptr<podnet::PodNetwork> network_;
  Prober prober_;
  std::string mesh_;  // the binary pods run
  Plan plan_;
  std::map<std::string, LocalPod> pods_;  // by pod name
  Proc control_, gateway_;
  std::vector<uint32_t> gateway_ports_;
  std::map<uint32_t, std::unique_ptr<net::PortForward>> gateway_forwards_;
  std::unique_ptr<net::PortForward> control_forward_;
  std::vector<std::unique_ptr<net::PortForward>> retired_;  // closing; freed with the supervisor
  size_t pending_closes_ = 0;
  MeshState state_;
  std::string last_state_json_;
  int next_pod_id_ = 1;
  bool stopping_ = false;
  uint64_t stop_deadline_ms_ = 0;
  int exit_code_ = 0;
};

}  // namespace mesh::up
