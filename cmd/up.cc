// mesh up / mesh down / mesh demo: the whole mesh on one machine, no
// Kubernetes. `mesh up` stages the manifests, then runs the supervisor
// (inject/up) in the foreground, or with -d in the background until every pod
// is ready. `mesh down` stops it and removes whatever a run left behind.
#include "cmd/up.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cmd/up_common.h"
#include "core/model/decode.h"
#include "inject/podnet/podnet.h"
#include "inject/up/stage.h"
#include "inject/up/supervisor.h"

namespace mesh::cmd {
namespace fs = std::filesystem;

namespace {

// Stages the manifests as the mesh's initial config; false after printing why.
bool stage_initial(const UpCommandOptions& o, const up::Paths& paths) {
  std::vector<up::StagedObject> objects;
  if (!load_objects("mesh up", o.files, objects)) return false;
  std::error_code ec;
  fs::remove_all(paths.root, ec);
  fs::create_directories(paths.config(), ec);
  fs::permissions(paths.root, fs::perms(0755), ec);
  std::vector<std::string> lines;
  std::string error;
  if (!up::stage(objects, paths.config(), lines, error)) {
    std::fprintf(stderr, "mesh up: %s\n", error.c_str());
    return false;
  }
  return true;
}

void print_ready(const up::MeshState& s, const std::string& profile) {
  size_t ready = 0;
  for (const up::PodStatus& p : s.pods) ready += p.ready;
  std::printf("mesh is up (profile %s): %zu/%zu pods ready\n", profile.c_str(), ready, s.pods.size());
  std::printf("  control plane: %s   (mesh status, mesh routes POD)\n", s.control.c_str());
  for (const auto& [port, address] : s.gateway)
    std::printf("  ingress gateway port %u: http://%s/\n", port, address.c_str());
}

std::string not_ready_reason(const up::MeshState& s) {
  std::string why;
  for (const up::PodStatus& p : s.pods) {
    if (!p.ready) why += "\n  pod " + p.ns + "/" + p.name + ": " + p.phase + ", not ready";
  }
  if (why.empty()) why = "\n  the control plane or the ingress gateway is not ready";
  return why;
}

// The parent of `mesh up -d`: waits until the supervisor says ready, fails, or the time is up.
int wait_until_ready(const UpCommandOptions& o, const up::Paths& paths, pid_t child, model::Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  up::MeshState s;
  while (std::chrono::steady_clock::now() < deadline) {
    s = up::MeshState{};
    const bool have = up::read_state(paths, s);
    if (have && !s.error.empty()) {
      std::fprintf(stderr, "mesh up: %s\n", s.error.c_str());
      return 1;
    }
    if (have && s.ready) {
      print_ready(s, o.profile);
      return 0;
    }
    if (!up::alive(child)) {
      std::fprintf(stderr, "mesh up: the supervisor exited; see %s\n", paths.log("supervisor").c_str());
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling period of a deadline wait
  }
  std::fprintf(stderr, "mesh up: not ready after %s:%s\n  logs: mesh logs POD -p %s; remove it with mesh down\n",
               o.timeout.c_str(), not_ready_reason(s).c_str(), o.profile.c_str());
  return 1;
}

int run_supervisor(const UpCommandOptions& o, bool foreground) {
  up::UpOptions u;
  u.profile = o.profile;
  u.ephemeral_ports = o.ephemeral_ports;
  u.control_port = o.control_port;
  u.foreground = foreground;
  up::Supervisor supervisor(u);
  return supervisor.run();
}

// Detaches the supervisor: its own session, output to logs/supervisor.log, so
// whoever ran `mesh up -d` (a shell, a test's pipe) is not held open.
pid_t start_background(const UpCommandOptions& o, const up::Paths& paths) {
  std::error_code ec;
  fs::create_directories(paths.logs(), ec);
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid != 0) return pid;
  setsid();
  int log = open(paths.log("supervisor").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  int null = open("/dev/null", O_RDONLY);
  dup2(null, 0);
  dup2(log, 1);
  dup2(log, 2);
  _exit(run_supervisor(o, true));
}

}  // namespace

int run_up(const UpCommandOptions& o) {
  model::Duration timeout{};
  if (!model::parse_duration(o.timeout, timeout)) {
    std::fprintf(stderr, "mesh up: --timeout wants a duration like 120s or 2m, got '%s'\n", o.timeout.c_str());
    return 2;
  }
  if (!require_net_admin("mesh up")) return 1;
  const up::Paths paths(o.profile);
  up::MeshState existing;
  if (up::read_state(paths, existing) && up::alive(existing.supervisor)) {
    std::fprintf(stderr, "mesh up: a mesh is already up (profile %s, pid %d): change it with mesh apply, or "
                 "mesh down first\n", o.profile.c_str(), existing.supervisor);
    return 1;
  }
  remove_mesh(paths, existing, false);  // what a crashed run left
  if (!stage_initial(o, paths)) return 1;
  if (!o.detach) return run_supervisor(o, true);
  const pid_t child = start_background(o, paths);
  if (child < 0) {
    std::fprintf(stderr, "mesh up: fork: %s\n", std::strerror(errno));
    return 1;
  }
  return wait_until_ready(o, paths, child, timeout);
}

int run_down(const std::string& profile) {
  if (!require_net_admin("mesh down")) return 1;
  const up::Paths paths(profile);
  up::MeshState s;
  const bool had = up::read_state(paths, s) || fs::exists(paths.root);
  if (up::alive(s.supervisor)) {
    kill(s.supervisor, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (up::alive(s.supervisor) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling a pid with a deadline
    if (up::alive(s.supervisor)) kill(s.supervisor, SIGKILL);
  }
  const size_t stale = remove_mesh(paths, s, true);
  std::printf(had || stale ? "mesh down: removed the mesh (profile %s)\n" : "mesh down: no mesh is up (profile %s)\n",
              profile.c_str());
  return 0;
}

namespace {

// The Bookinfo sample: where it is, relative to the working directory or the binary.
std::string find_samples(const std::string& given) {
  if (!given.empty()) return given;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  for (const fs::path& p : {fs::path("samples/bookinfo"), exe.parent_path() / "../../samples/bookinfo",
                            exe.parent_path() / "../share/mesh/samples/bookinfo"}) {
    if (fs::exists(p / "bookinfo.yaml", ec)) return fs::weakly_canonical(p, ec).string();
  }
  return "samples/bookinfo";
}

void print_tutorial(const std::string& dir, const up::MeshState& s) {
  const std::string url = s.gateway.empty() ? "http://127.0.0.1:8080" : "http://" + s.gateway.begin()->second;
  std::printf("\nOpen %s/productpage (reload: reviews v1, v2 and v3 take turns).\n", url.c_str());
  std::printf("Walk through Istio's traffic-management tutorial:\n");
  const char* steps[][2] = {
      {"destination-rule-all.yaml", "subsets v1, v2, v3"},
      {"virtual-service-all-v1.yaml", "everyone gets reviews v1"},
      {"virtual-service-reviews-test-v2.yaml", "sign in as jason: reviews v2 (black stars)"},
      {"virtual-service-ratings-test-delay.yaml", "jason: ratings delayed 7 s"},
      {"virtual-service-ratings-test-abort.yaml", "jason: ratings answer 500"},
      {"virtual-service-reviews-50-v3.yaml", "half the traffic to v3 (red stars)"},
      {"virtual-service-reviews-90-10.yaml", "90/10 canary"},
  };
  for (const auto& step : steps) std::printf("  mesh apply -f %s/%s   # %s\n", dir.c_str(), step[0], step[1]);
  std::printf("See it: mesh get pods, mesh status, mesh routes productpage-v1, mesh logs POD\n");
  std::printf("Stop: mesh down\n");
}

}  // namespace

int run_demo(UpCommandOptions o) {
  const std::string dir = find_samples(o.samples);
  o.files = {dir + "/bookinfo.yaml", dir + "/bookinfo-gateway.yaml"};
  o.detach = !o.foreground;
  const int rc = run_up(o);
  up::MeshState s;
  if (rc == 0 && o.detach && up::read_state(up::Paths(o.profile), s)) print_tutorial(dir, s);
  return rc;
}

}  // namespace mesh::cmd
