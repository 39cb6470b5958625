// Starting, reaping and restarting the processes of the local mesh.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "inject/up/supervisor.h"

namespace mesh::up {
namespace {

// Like Kubernetes' CrashLoopBackOff: 1 s doubling up to 30 s; a process that
// ran for a minute starts over at 1 s.
uint64_t backoff_ms(int exits) {
  return std::min<uint64_t>(30'000, 1000ull << std::min(exits - 1, 5));
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("signal ") + strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace

std::vector<Proc*> Supervisor::all_procs() {
  std::vector<Proc*> out{&control_, &gateway_};
  for (auto& [name, pod] : pods_) {
    out.push_back(&pod.sidecar);
    out.push_back(&pod.app);
  }
  return out;
}

void Supervisor::reap(Proc& p, uint64_t now) {
  if (p.pid <= 0) return;
  int status = 0;
  if (waitpid(p.pid, &status, WNOHANG) != p.pid) return;
  p.pid = 0;
  if (p.replacing) {
    p.replacing = false;
    p.next_start_ms = now;
    return;
  }
  if (!p.wanted) return;
  if (now - p.started_ms > 60'000) p.exits = 0;
  ++p.exits;
  ++p.restarts;
  p.next_start_ms = now + backoff_ms(p.exits);
  std::fprintf(stderr, "mesh up: %s ended (%s); restarting in %llu ms (log: %s)\n", p.log_name.c_str(),
               describe(status).c_str(), static_cast<unsigned long long>(p.next_start_ms - now),
               paths_.log(p.log_name).c_str());
}

void Supervisor::maybe_start(Proc& p, uint64_t now) {
  if (!p.wanted || p.pid > 0 || now < p.next_start_ms || stopping_) return;
  int log = open(paths_.log(p.log_name).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  podnet::SpawnSpec spec = p.spec;
  spec.output_fd = log;
  std::string error;
  p.pid = network_->spawn(p.pod, spec, error);
  if (log >= 0) close(log);
  p.started_ms = now;
  if (p.pid < 0) {
    p.pid = 0;
    ++p.exits;
    p.next_start_ms = now + backoff_ms(p.exits);
    std::fprintf(stderr, "mesh up: cannot start %s: %s\n", p.log_name.c_str(), error.c_str());
  }
}

// Runs a short command in a pod and waits for it (e.g. `mesh iptables`).
bool Supervisor::run_to_end(const std::string& pod, const std::vector<std::string>& argv, std::string& error) {
  podnet::SpawnSpec spec;
  spec.argv = argv;
  pid_t pid = network_->spawn(pod, spec, error);
  if (pid < 0) return false;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  error = argv.size() > 1 ? argv[1] : argv[0];
  error += " in pod " + pod + ": " + describe(status);
  return false;
}

}  // namespace mesh::up
