// mesh podnet (hidden): the pod network harness from the command line, for
// end-to-end tests and for cleaning up after a crashed run.
//   mesh podnet create --run ID --pod a=10.244.0.2 --host b=10.96.0.10 [--owner PID]
//   mesh podnet exec --run ID --pod a [--uid 1337 --gid 1337] -- CMD ARGS...
//   mesh podnet cleanup --run ID | --stale
#include "cmd/podnet.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "inject/podnet/podnet.h"

namespace mesh::cmd {
namespace {

bool split_pairs(const std::vector<std::string>& items,
                 std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& item : items) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      std::fprintf(stderr, "mesh podnet: want NAME=ADDRESS, got '%s'\n", item.c_str());
      return false;
    }
    out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return true;
}

}  // namespace

int run_podnet_create(const PodnetOptions& o) {
  podnet::NetworkSpec spec;
  spec.run_id = o.run_id;
  spec.owner = o.owner > 0 ? o.owner : getppid();  // by default the caller (a test, a shell)
  spec.gateway = o.gateway;
  std::vector<std::pair<std::string, std::string>> pods, hosts;
  if (!split_pairs(o.pods, pods) || !split_pairs(o.hosts, hosts)) return 2;
  for (auto& [name, ip] : pods) spec.pods.push_back({name, ip, name});
  for (auto& [name, ip] : hosts) spec.hosts[name] = ip;
  inject::ProcessRunner runner;
  std::string error;
  auto net = podnet::PodNetwork::create(spec, runner, error);
  if (!net) {
    std::fprintf(stderr, "mesh podnet: %s\n", error.c_str());
    return 1;
  }
  std::printf("%s\n", net->run_id().c_str());
  net->release();  // stays up until `mesh podnet cleanup`
  return 0;
}

int run_podnet_exec(const PodnetOptions& o) {
  podnet::PodPlace place{podnet::netns_name(o.run_id, o.pod),
                         std::string(podnet::kStateDir) + "/" + o.run_id + "/" + o.pod + "/hosts"};
  std::string why = podnet::enter_pod(place, o.uid, o.gid);
  if (!why.empty()) {
    std::fprintf(stderr, "mesh podnet exec: %s\n", why.c_str());
    return 1;
  }
  std::vector<char*> args;
  for (const auto& a : o.command) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  std::fprintf(stderr, "mesh podnet exec: %s: %s\n", args[0], std::strerror(errno));
  return 127;
}

int run_podnet_cleanup(const PodnetOptions& o) {
  inject::ProcessRunner runner;
  if (o.stale) {
    for (const auto& id : podnet::cleanup_stale(runner)) std::printf("removed stale run %s\n", id.c_str());
  }
  if (!o.run_id.empty()) podnet::cleanup_run(o.run_id, runner);
  return 0;
}

}  // namespace mesh::cmd
