// A pod network on one machine, for end-to-end tests and `mesh up`: an
// isolated node network namespace holding a bridge, and one network namespace
// per pod with its own address on a veth to that bridge. Nothing connects it to
// the machine's real interfaces (no route, no NAT), so pod traffic stays inside.
//
// Every object carries the prefix "meshpn-<run id>-" (namespaces) or lives in
// a namespace that does (bridge, veths), and the run's state directory records
// who owns it, so cleanup_run() removes a run completely and cleanup_stale()
// removes what a crashed run left behind.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "inject/iptables_apply.h"

namespace mesh::podnet {

constexpr const char* kPrefix = "meshpn-";
constexpr const char* kStateDir = "/run/mesh-podnet";

struct PodSpec {
  std::string name;  // lower-case letters, digits and '-', at most 10 characters
  std::string ip;    // in the network's /24, e.g. "10.244.0.2"
  std::string hostname;  // the pod's own name in its hosts file ("" = name)
};

struct NetworkSpec {
  std::string run_id;                  // "" = random; [a-z0-9], at most 8 characters
  std::string gateway = "10.244.0.1";  // the bridge's address; pods use its /24
  pid_t owner = 0;                     // whose death makes the run stale (0 = this process)
  std::vector<PodSpec> pods;
  std::map<std::string, std::string> hosts;  // name -> address, in every pod's /etc/hosts
};

// Where one pod lives: its namespace and the hosts file bound over /etc/hosts
// for processes started in it.
struct PodPlace {
  std::string netns;
  std::string hosts_file;
};

// A process to start in a pod.
struct SpawnSpec {
  std::vector<std::string> argv;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<std::pair<std::string, std::string>> env;  // set on top of this process's environment
  std::string cwd;  // "" = unchanged
  int output_fd = -1;  // stdout and stderr go here (-1: inherited); stdin is /dev/null when set
};

class PodNetwork {
 public:
  // Builds the node namespace, the bridge and every pod; on failure removes
  // whatever it made and returns nullptr with `error`.
  static std::unique_ptr<PodNetwork> create(NetworkSpec spec, inject::CommandRunner& runner,
                                            std::string& error);
  ~PodNetwork();
  PodNetwork(const PodNetwork&) = delete;
  PodNetwork& operator=(const PodNetwork&) = delete;

  const std::string& run_id() const { return run_id_; }
  PodPlace place(const std::string& pod) const;
  // Starts argv in the pod (network namespace, hosts file) as uid/gid; the
  // caller waits for the child. Returns the pid, or -1 with `error`.
  pid_t spawn(const std::string& pod, const std::vector<std::string>& argv, uid_t uid, gid_t gid,
              std::string& error) const;
  pid_t spawn(const std::string& pod, const SpawnSpec& spec, std::string& error) const;
  // Adds a pod to the running network; `hosts` are the names it resolves.
  bool add_pod(const PodSpec& pod, const std::map<std::string, std::string>& hosts, std::string& error);
  // Kills the pod's processes and removes its namespace, veth and files.
  void remove_pod(const std::string& pod);
  // Rewrites a pod's hosts file in place (processes see the change at once).
  void write_hosts(const PodSpec& pod, const std::map<std::string, std::string>& hosts) const;
  // Keeps the network when this object goes away (another process cleans up).
  void release() { owned_ = false; }

 private:
  PodNetwork(std::string run_id, inject::CommandRunner& runner)
      : run_id_(std::move(run_id)), runner_(&runner) {}
  bool build(const NetworkSpec& spec, std::string& error);

  std::string run_id_;
  std::string gateway_;
  inject::CommandRunner* runner_;
  bool owned_ = true;
};

// Enters a pod from a child process before exec: joins its network namespace,
// binds its hosts file over /etc/hosts in a private mount namespace, drops to
// uid/gid. Returns an error message, or "" on success.
std::string enter_pod(const PodPlace& place, uid_t uid, gid_t gid);

// Kills the processes inside the run's namespaces, deletes the namespaces
// (with the bridge and veths inside) and the run's state directory.
void cleanup_run(const std::string& run_id, inject::CommandRunner& runner);
// Runs whose owner process is gone (leftovers of a crash). Returns their ids.
std::vector<std::string> cleanup_stale(inject::CommandRunner& runner);

std::string netns_name(const std::string& run_id, const std::string& pod);
std::string node_netns(const std::string& run_id);

}  // namespace mesh::podnet
