// Following the config: pods for Deployments, names for Services, the
// gateway's ports.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>

#include "core/model/load.h"
#include "inject/up/supervisor.h"

namespace mesh::up {
namespace fs = std::filesystem;

namespace {

using namespace addresses;

std::string random_suffix() {
  static std::mt19937 rng{std::random_device{}()};
  const char* alphabet = "bcdfghjklmnpqrstvwxz2456789";  // like Kubernetes: no vowels, no 0/1/3
  std::string s;
  for (int i = 0; i < 5; ++i) s += alphabet[std::uniform_int_distribution<int>(0, 26)(rng)];
  return s;
}

std::vector<std::string> sidecar_argv(const std::string& mesh, const PodTemplatePlan& t, const std::string& name,
                                      const std::string& ip) {
  std::vector<std::string> argv = {mesh, "proxy", "sidecar", "--control", kControl, "--pod-name", name,
                                   "--pod-namespace", t.ns, "--pod-ip", ip, "--service-account",
                                   t.service_account, "--concurrency", "1", "--drain-seconds", "2"};
  for (const auto& [key, value] : t.labels) argv.insert(argv.end(), {"--pod-label", key + "=" + value});
  for (const auto& [port_name, number] : t.ports)
    argv.insert(argv.end(), {"--pod-port", (port_name.empty() ? "" : port_name + ":") + std::to_string(number)});
  return argv;
}

}  // namespace

// The config directory and its namespace directories; not _pods, which the
// supervisor writes itself.
std::vector<std::string> Supervisor::config_dirs() const {
  std::vector<std::string> dirs = {paths_.config()};
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(paths_.config(), ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_directory(ec)) continue;
    if (it->path().filename() == "_pods") it.disable_recursion_pending();
    else dirs.push_back(it->path().string());
  }
  return dirs;
}

void Supervisor::reload_config() {
  if (stopping_) return;
  watch_->watch(config_dirs());  // a new namespace directory is watched from now on
  model::ConfigSet config;
  model::Diagnostics diags;  // broken objects were refused by `mesh apply`; the rest applies
  model::LoadOptions options;
  options.keep_raw = true;  // the planner reads pod templates whole
  model::load_paths({paths_.config()}, options, config, diags);
  try {
    plan_ = plan_of(config);
  } catch (const std::exception& e) {  // keep running what runs; the next change may fix it
    std::fprintf(stderr, "mesh up: cannot plan pods from the config: %s\n", e.what());
    return;
  }
  reconcile(plan_);
}

void Supervisor::reconcile(const Plan& plan) {
  const uint64_t now = uv_now(loop_.get());
  for (auto& [name, pod] : pods_) {
    if (pod.terminating) continue;
    const auto t = std::find_if(plan.deployments.begin(), plan.deployments.end(),
                                [&](const PodTemplatePlan& d) { return d.deployment == pod.status.deployment; });
    if (t == plan.deployments.end() || t->hash != pod.hash) terminate_pod(pod, now);
  }
  for (const PodTemplatePlan& t : plan.deployments) {
    std::vector<LocalPod*> current;
    for (auto& [name, pod] : pods_) {
      if (!pod.terminating && pod.status.deployment == t.deployment) current.push_back(&pod);
    }
    for (size_t i = static_cast<size_t>(t.replicas); i < current.size(); ++i) terminate_pod(*current[i], now);
    for (size_t i = current.size(); i < static_cast<size_t>(t.replicas); ++i) {
      std::string error;
      if (!create_pod(t, error)) std::fprintf(stderr, "mesh up: %s: %s\n", t.deployment.c_str(), error.c_str());
    }
  }
  for (auto& [name, pod] : pods_) {
    podnet::PodSpec spec{pod.net_id, pod.status.ip, pod.status.name};
    network_->write_hosts(spec, hosts_for(plan, pod.status.ns));
  }
  set_gateway_ports(plan.gateway_ports);
}

std::string Supervisor::allocate_ip() {
  std::set<std::string> used;
  for (const auto& [name, pod] : pods_) used.insert(pod.status.ip);
  for (int host = 10; host < 255; ++host) {
    const std::string ip = kPodSubnet + std::to_string(host);
    if (!used.count(ip)) return ip;
  }
  return "";
}

bool Supervisor::create_pod(const PodTemplatePlan& t, std::string& error) {
  LocalPod pod;
  pod.status.name = t.name_prefix + random_suffix();
  pod.status.ns = t.ns;
  pod.status.deployment = t.deployment;
  pod.status.ip = allocate_ip();
  pod.status.phase = "Pending";
  pod.net_id = "p" + std::to_string(next_pod_id_++);
  pod.status.netns = podnet::netns_name(network_->run_id(), pod.net_id);
  pod.hash = t.hash;
  pod.readiness = t.readiness;
  pod.spec = t;
  if (pod.status.ip.empty()) {
    error = "the pod network is full";
    return false;
  }
  podnet::PodSpec spec{pod.net_id, pod.status.ip, pod.status.name};
  if (!network_->add_pod(spec, hosts_for(plan_, t.ns), error)) return false;
  const std::vector<std::string> capture = {mesh_, "iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-g",
                                            "1337", "-m", "REDIRECT", "-i", "*", "-b", "*", "-d", "15090,15021,15020"};
  if (!run_to_end(pod.net_id, capture, error)) {
    network_->remove_pod(pod.net_id);
    return false;
  }
  const auto env = app_env(t, pod.status.name, pod.status.ip);
  pod.sidecar.log_name = pod.status.name + ".istio-proxy";
  pod.sidecar.pod = pod.net_id;
  pod.sidecar.spec.argv = sidecar_argv(mesh_, t, pod.status.name, pod.status.ip);
  pod.sidecar.spec.uid = pod.sidecar.spec.gid = 1337;
  pod.sidecar.spec.env = env;
  pod.app.log_name = pod.status.name;
  pod.app.pod = pod.net_id;
  pod.app.spec.argv = {"/bin/sh", "-c", t.command};
  pod.app.spec.cwd = t.workdir;
  pod.app.spec.env = env;
  if (options_.foreground) std::fprintf(stderr, "mesh up: pod %s/%s (%s)\n", t.ns.c_str(), pod.status.name.c_str(),
                                        pod.status.ip.c_str());
  pods_.emplace(pod.status.name, std::move(pod));
  return true;
}

void Supervisor::terminate_pod(LocalPod& pod, uint64_t now) {
  pod.terminating = true;
  pod.status.phase = "Terminating";
  pod.kill_at_ms = now + 5000;
  for (Proc* p : {&pod.app, &pod.sidecar}) {
    p->wanted = false;
    if (p->pid > 0) kill(p->pid, SIGTERM);
  }
}

// Removes terminated pods once their processes are gone (SIGKILL after 5 s).
void Supervisor::sweep_pods(uint64_t now) {
  for (auto it = pods_.begin(); it != pods_.end();) {
    LocalPod& pod = it->second;
    const bool running = pod.app.pid > 0 || pod.sidecar.pid > 0;
    if (!pod.terminating || (running && now < pod.kill_at_ms)) {
      ++it;
      continue;
    }
    for (Proc* p : {&pod.app, &pod.sidecar}) {
      if (p->pid > 0 && kill(p->pid, SIGKILL) == 0) waitpid(p->pid, nullptr, 0);
      p->pid = 0;
    }
    publish(pod, false);
    network_->remove_pod(pod.net_id);
    it = pods_.erase(it);
  }
}

// The gateway serves every HTTP port of the Gateways that select it
// (`--listen config`: it opens and closes listeners as the control plane pushes
// them, so a change of ports needs no restart); every port gets a forward on
// 127.0.0.1.
void Supervisor::set_gateway_ports(const std::vector<uint32_t>& ports) {
  if (ports == gateway_ports_) return;
  gateway_ports_ = ports;
  for (auto it = gateway_forwards_.begin(); it != gateway_forwards_.end();) {
    if (std::find(ports.begin(), ports.end(), it->first) != ports.end()) {
      ++it;
      continue;
    }
    it->second->close([] {});
    retired_.push_back(std::move(it->second));
    state_.gateway.erase(it->first);
    it = gateway_forwards_.erase(it);
  }
  for (uint32_t port : ports) {
    std::string error;
    if (!gateway_forwards_.count(port) &&
        !listen_host(options_.ephemeral_ports ? 0 : static_cast<uint16_t>(port), kGatewayIp,
                     static_cast<uint16_t>(port), error))
      std::fprintf(stderr, "mesh up: gateway port %u: %s\n", port, error.c_str());
  }
  if (ports.empty()) {
    gateway_.wanted = false;
    if (gateway_.pid > 0) kill(gateway_.pid, SIGTERM);
    return;
  }
  // Still stopping since the ports went away: it comes back at once, not as a crash.
  if (!gateway_.wanted && gateway_.pid > 0) gateway_.replacing = true;
  gateway_.wanted = true;
  gateway_.spec.argv = {mesh_, "proxy", "--control", kControl, "--gateway", "istio-system/istio-ingressgateway",
                        "--pod-name", "istio-ingressgateway", "--pod-namespace", "istio-system", "--pod-ip",
                        kGatewayIp, "--pod-label", "app=istio-ingressgateway", "--pod-label",
                        "istio=ingressgateway", "--listen", "config", "--admin-port", "15000", "--health-port",
                        "15021", "--concurrency", "1"};
}

}  // namespace mesh::up
