// Readiness and the status the CLI reads (state.json).
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "inject/up/supervisor.h"

namespace mesh::up {
namespace {

std::string pod_netns(const std::string& run_id, const std::string& net_id) {
  return podnet::netns_name(run_id, net_id);
}

ProbeTarget app_target(const std::string& netns, const std::string& key, const Readiness& r) {
  return ProbeTarget{key, netns, "127.0.0.1", static_cast<uint16_t>(r.port),
                     r.kind == Readiness::Kind::kHttp ? r.path : ""};
}

}  // namespace

// Ready pods are published as Pod objects (with status.podIP) in config/_pods,
// the way the Kubernetes API lists them, so the control plane's endpoints do
// not depend on who is connected: a restarted control plane pushes complete
// configs from its first push on. A pod that is not ready is no endpoint.
void Supervisor::publish(LocalPod& pod, bool ready) {
  if (pod.published == ready) return;
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(paths_.config()) / "_pods";
  const fs::path file = dir / (pod.status.ns + "-" + pod.status.name + ".json");
  std::error_code ec;
  pod.published = ready;
  if (!ready) {
    fs::remove(file, ec);
    return;
  }
  nlohmann::json ports = nlohmann::json::array();
  for (const auto& [name, number] : pod.spec.ports) {
    nlohmann::json p = {{"containerPort", number}};
    if (!name.empty()) p["name"] = name;
    ports.push_back(p);
  }
  const nlohmann::json object = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", pod.status.name}, {"namespace", pod.status.ns}, {"labels", pod.spec.labels}}},
      {"spec", {{"serviceAccountName", pod.spec.service_account}, {"containers", {{{"name", "app"}, {"ports", ports}}}}}},
      {"status", {{"podIP", pod.status.ip}}}};
  fs::create_directories(dir, ec);
  const fs::path tmp = file.string() + ".tmp";
  std::ofstream(tmp) << object.dump(2) << "\n";
  fs::rename(tmp, file, ec);
}

void Supervisor::update_status() {
  const std::string run = network_->run_id();
  std::vector<ProbeTarget> targets = {
      {"control", pod_netns(run, "istiod"), "127.0.0.1", addresses::kControlPort, "/ready"},
      {"gateway", pod_netns(run, "gateway"), "127.0.0.1", 15021, "/healthz/ready"}};
  state_.pods.clear();
  bool all_ready = prober_.ok("control");
  for (auto& [name, pod] : pods_) {
    const std::string netns = pod_netns(run, pod.net_id);
    const std::string key = "pod/" + name;
    targets.push_back({key + "/sidecar", netns, "127.0.0.1", 15021, "/healthz/ready"});
    if (pod.readiness.kind != Readiness::Kind::kRunning) targets.push_back(app_target(netns, key + "/app", pod.readiness));
    const bool running = pod.app.pid > 0 && pod.sidecar.pid > 0;
    const bool app_ok = pod.readiness.kind == Readiness::Kind::kRunning || prober_.ok(key + "/app");
    pod.status.ready = running && !pod.terminating && prober_.ok(key + "/sidecar") && app_ok;
    pod.status.restarts = pod.app.restarts + pod.sidecar.restarts;
    if (!pod.terminating) {
      pod.status.phase = running ? "Running" : (pod.app.exits >= 2 || pod.sidecar.exits >= 2) ? "CrashLoopBackOff"
                                                                                             : "Pending";
    }
    publish(pod, pod.status.ready);
    all_ready = all_ready && (pod.terminating || pod.status.ready);
    state_.pods.push_back(pod.status);
  }
  if (!gateway_ports_.empty())
    all_ready = all_ready && prober_.ok("gateway") && gateway_forwards_.size() == gateway_ports_.size();
  prober_.set_targets(std::move(targets));
  if (all_ready && !state_.ready && options_.foreground) {
    std::fprintf(stderr, "mesh up: ready: %zu pods; control plane on %s\n", pods_.size(), state_.control.c_str());
    for (const auto& [port, address] : state_.gateway)
      std::fprintf(stderr, "mesh up: gateway port %u: http://%s/\n", port, address.c_str());
  }
  state_.ready = all_ready;
  const std::string json = to_json(state_);
  if (json != last_state_json_ && write_state(paths_, state_)) last_state_json_ = json;
}

}  // namespace mesh::up
