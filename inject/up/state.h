// Where a local mesh keeps its files, and the status its supervisor publishes
// for the CLI (`mesh get`, `mesh logs`, `mesh down`, `mesh up -d`):
//   /run/mesh/up/<profile>/state.json   this status, rewritten atomically
//   /run/mesh/up/<profile>/config/      the staged objects (see stage.h)
//   /run/mesh/up/<profile>/logs/        one file per process
//   /run/mesh/up/<profile>/bin/mesh     a copy of the binary that uid 1337 can run
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace mesh::up {

struct Paths {
  std::string root;
  explicit Paths(const std::string& profile);
  std::string state() const { return root + "/state.json"; }
  std::string config() const { return root + "/config"; }
  std::string logs() const { return root + "/logs"; }
  std::string log(const std::string& process) const { return logs() + "/" + process + ".log"; }
  std::string binary() const { return root + "/bin/mesh"; }
};

struct PodStatus {
  std::string name, ns, ip, deployment, phase;  // phase: Pending, Running, CrashLoopBackOff, Terminating
  std::string netns;                             // for `ip netns exec` when debugging
  bool ready = false;
  int restarts = 0;
  bool sidecar = true;
};

struct MeshState {
  pid_t supervisor = 0;
  std::string run_id;
  std::string control;                             // host address of the control plane, "127.0.0.1:15010"
  std::map<uint32_t, std::string> gateway;         // Gateway server port -> host address
  bool ready = false;                              // every pod ready and the gateway listening
  std::string error;                               // why it stopped, when it could not start
  std::vector<PodStatus> pods;
};

std::string to_json(const MeshState& s);
bool from_json(const std::string& text, MeshState& s);
bool write_state(const Paths& paths, const MeshState& s);
// False when there is no state (no mesh up) or it cannot be read.
bool read_state(const Paths& paths, MeshState& s);
bool alive(pid_t pid);

}  // namespace mesh::up
