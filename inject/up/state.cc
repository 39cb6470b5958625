#include "inject/up/state.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace mesh::up {

using Json = nlohmann::json;

Paths::Paths(const std::string& profile) : root("/run/mesh/up/" + profile) {}

std::string to_json(const MeshState& s) {
  Json pods = Json::array();
  for (const PodStatus& p : s.pods) {
    pods.push_back({{"name", p.name}, {"namespace", p.ns}, {"ip", p.ip}, {"deployment", p.deployment},
                    {"phase", p.phase}, {"ready", p.ready}, {"restarts", p.restarts}, {"sidecar", p.sidecar},
                    {"netns", p.netns}});
  }
  Json gateway = Json::object();
  for (const auto& [port, address] : s.gateway) gateway[std::to_string(port)] = address;
  Json j = {{"supervisor", s.supervisor}, {"runId", s.run_id}, {"control", s.control}, {"gateway", gateway},
            {"ready", s.ready}, {"error", s.error}, {"pods", pods}};
  return j.dump(2) + "\n";
}

bool from_json(const std::string& text, MeshState& s) {
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return false;
  s.supervisor = j.value("supervisor", 0);
  s.run_id = j.value("runId", "");
  s.control = j.value("control", "");
  s.ready = j.value("ready", false);
  s.error = j.value("error", "");
  if (j.contains("gateway") && j["gateway"].is_object()) {
    for (const auto& [port, address] : j["gateway"].items())
      s.gateway[static_cast<uint32_t>(std::stoul(port))] = address.get<std::string>();
  }
  if (!j.contains("pods") || !j["pods"].is_array()) return true;
  for (const Json& p : j["pods"]) {
    PodStatus pod;
    pod.name = p.value("name", "");
    pod.ns = p.value("namespace", "");
    pod.ip = p.value("ip", "");
    pod.deployment = p.value("deployment", "");
    pod.phase = p.value("phase", "");
    pod.ready = p.value("ready", false);
    pod.restarts = p.value("restarts", 0);
    pod.sidecar = p.value("sidecar", true);
    pod.netns = p.value("netns", "");
    s.pods.push_back(pod);
  }
  return true;
}

bool write_state(const Paths& paths, const MeshState& s) {
  const std::string tmp = paths.state() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << to_json(s);
    if (!f.flush()) return false;
  }
  return std::rename(tmp.c_str(), paths.state().c_str()) == 0;
}

bool read_state(const Paths& paths, MeshState& s) {
  std::ifstream f(paths.state());
  if (!f) return false;
  std::ostringstream text;
  text << f.rdbuf();
  return from_json(text.str(), s);
}

bool alive(pid_t pid) {
  return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

}  // namespace mesh::up
