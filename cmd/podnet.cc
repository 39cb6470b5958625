// mesh podnet (hidden): the pod network harness from the command line, for
// end-to-end tests and for cleaning up after a crashed run.
//   mesh podnet create --run ID --pod a=10.244.0.2 --host b=10.96.0.10 [--owner PID]
//   mesh podnet exec --run ID --pod a [--uid 1337 --gid 1337] -- CMD ARGS...
//   mesh podnet cleanup --run ID | --stale
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "cmd/commands.h"
#include "inject/podnet/podnet.h"

namespace mesh::cmd {
namespace {

struct PodnetOptions {
  std::string run_id;
  pid_t owner = 0;
  std::string gateway = "10.244.0.1";
  std::vector<std::string> pods, hosts;  // NAME=IP
  std::string pod;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<std::string> command;
  bool stale = false;
};

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

int run_create(const PodnetOptions& o) {
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

int run_exec(const PodnetOptions& o) {
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

int run_cleanup(const PodnetOptions& o) {
  inject::ProcessRunner runner;
  if (o.stale) {
    for (const auto& id : podnet::cleanup_stale(runner)) std::printf("removed stale run %s\n", id.c_str());
  }
  if (!o.run_id.empty()) podnet::cleanup_run(o.run_id, runner);
  return 0;
}

}  // namespace

void add_podnet_command(CLI::App& app, Action& run) {
  auto o = std::make_shared<PodnetOptions>();
  CLI::App* top = app.add_subcommand("podnet", "Pod network harness (tests, mesh up)")->group("");
  top->require_subcommand(1);
  CLI::App* create = top->add_subcommand("create", "Create a node namespace, a bridge and pods");
  create->add_option("--run", o->run_id, "Run id ([a-z0-9], at most 8; default random)");
  create->add_option("--owner", o->owner,
                     "Pid whose exit makes the run stale (default: the calling process)");
  create->add_option("--gateway", o->gateway, "Bridge address; pods use its /24")->capture_default_str();
  create->add_option("--pod", o->pods, "NAME=ADDRESS")->required();
  create->add_option("--host", o->hosts, "NAME=ADDRESS for every pod's /etc/hosts");
  create->callback([&run, o] { run = [o] { return run_create(*o); }; });
  CLI::App* exec = top->add_subcommand("exec", "Run a command inside a pod");
  exec->add_option("--run", o->run_id, "Run id")->required();
  exec->add_option("--pod", o->pod, "Pod name")->required();
  exec->add_option("--uid", o->uid, "User id to run as");
  exec->add_option("--gid", o->gid, "Group id to run as");
  exec->add_option("command", o->command, "Command and arguments (after --)")->required();
  exec->callback([&run, o] { run = [o] { return run_exec(*o); }; });
  CLI::App* cleanup = top->add_subcommand("cleanup", "Remove a run's namespaces, processes and files");
  cleanup->add_option("--run", o->run_id, "Run id");
  cleanup->add_flag("--stale", o->stale, "Also remove every run whose owner process is gone");
  cleanup->callback([&run, o] { run = [o] { return run_cleanup(*o); }; });
}

}  // namespace mesh::cmd
