#include "inject/podnet/podnet.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/format.h>

namespace mesh::podnet {
namespace fs = std::filesystem;

namespace {

constexpr const char* kBridge = "br0";

std::string random_id() {
  std::random_device rd;
  return fmt::format("{:06x}", rd() & 0xffffff);
}

bool valid_name(const std::string& s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

std::string run_dir(const std::string& run_id) {
  return std::string(kStateDir) + "/" + run_id;
}

std::string prefix_of(const std::string& run_id) {
  return std::string(kPrefix) + run_id + "-";
}

// The /24 prefix of a dotted IPv4 address ("10.244.0.1" -> "10.244.0.").
std::string subnet_of(const std::string& ip) {
  return ip.substr(0, ip.rfind('.') + 1);
}

struct Step {
  inject::CommandRunner& runner;
  std::string& error;
  bool run(const std::vector<std::string>& argv) {
    inject::CommandResult r = runner.run(argv, "");
    if (r.exit_code == 0) return true;
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    error = fmt::format("{}: {}", cmd, r.err.empty() ? "exit " + std::to_string(r.exit_code) : r.err);
    while (!error.empty() && error.back() == '\n') error.pop_back();
    return false;
  }
};

bool alive(pid_t pid) {
  return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

pid_t read_owner(const std::string& run_id) {
  std::ifstream f(run_dir(run_id) + "/owner");
  long pid = 0;
  f >> pid;
  return static_cast<pid_t>(pid);
}

std::vector<std::string> list_netns(inject::CommandRunner& runner) {
  std::vector<std::string> out;
  inject::CommandResult r = runner.run({"ip", "netns", "list"}, "");
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    std::string name = line.substr(0, line.find(' '));
    if (name.rfind(kPrefix, 0) == 0) out.push_back(name);
  }
  return out;
}

// SIGKILL every process in the namespace and wait (bounded) until they are gone.
void kill_members(const std::string& netns, inject::CommandRunner& runner) {
  inject::CommandResult r = runner.run({"ip", "netns", "pids", netns}, "");
  std::vector<pid_t> pids;
  std::istringstream in(r.out);
  for (long pid = 0; in >> pid;) {
    if (pid > 1 && pid != getpid()) pids.push_back(static_cast<pid_t>(pid));
  }
  for (pid_t pid : pids) kill(pid, SIGKILL);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (pid_t pid : pids) {
    while (alive(pid) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling a pid with a deadline
    }
  }
}

}  // namespace

std::string netns_name(const std::string& run_id, const std::string& pod) {
  return prefix_of(run_id) + pod;
}

std::string node_netns(const std::string& run_id) {
  return prefix_of(run_id) + "node";
}

std::unique_ptr<PodNetwork> PodNetwork::create(NetworkSpec spec, inject::CommandRunner& runner,
                                               std::string& error) {
  if (spec.run_id.empty()) spec.run_id = random_id();
  if (!valid_name(spec.run_id, 8) || spec.run_id.find('-') != std::string::npos) {
    error = "run id must be 1 to 8 characters of [a-z0-9]: " + spec.run_id;
    return nullptr;
  }
  std::unique_ptr<PodNetwork> net(new PodNetwork(spec.run_id, runner));
  if (!net->build(spec, error)) return nullptr;  // the destructor removes what was made
  return net;
}

PodNetwork::~PodNetwork() {
  if (owned_ && runner_ != nullptr) cleanup_run(run_id_, *runner_);
}

bool PodNetwork::build(const NetworkSpec& spec, std::string& error) {
  std::error_code ec;
  fs::create_directories(run_dir(run_id_), ec);
  if (ec) {
    error = "cannot create " + run_dir(run_id_) + ": " + ec.message();
    return false;
  }
  std::ofstream(run_dir(run_id_) + "/owner") << (spec.owner > 0 ? spec.owner : getpid()) << "\n";
  const std::string node = node_netns(run_id_);
  gateway_ = spec.gateway;
  Step s{*runner_, error};
  bool ok = s.run({"ip", "netns", "add", node}) && s.run({"ip", "-n", node, "link", "set", "lo", "up"}) &&
            s.run({"ip", "-n", node, "link", "add", kBridge, "type", "bridge"}) &&
            s.run({"ip", "-n", node, "addr", "add", spec.gateway + "/24", "dev", kBridge}) &&
            s.run({"ip", "-n", node, "link", "set", kBridge, "up"});
  for (const PodSpec& pod : spec.pods) ok = ok && add_pod(pod, spec.hosts, error);
  return ok;
}

void PodNetwork::write_hosts(const PodSpec& pod, const std::map<std::string, std::string>& hosts) const {
  PodPlace where = place(pod.name);
  std::error_code ec;
  fs::create_directories(fs::path(where.hosts_file).parent_path(), ec);
  // Truncate and rewrite: the inode stays, so the bind mount over /etc/hosts sees it.
  std::ofstream out(where.hosts_file, std::ios::trunc);
  out << "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
      << pod.ip << "\t" << (pod.hostname.empty() ? pod.name : pod.hostname) << "\n";
  for (const auto& [name, ip] : hosts) out << ip << "\t" << name << "\n";
  out.close();
  chmod(where.hosts_file.c_str(), 0644);
}

void PodNetwork::remove_pod(const std::string& pod) {
  const std::string ns = netns_name(run_id_, pod);
  kill_members(ns, *runner_);
  runner_->run({"ip", "netns", "delete", ns}, "");
  std::error_code ec;
  fs::remove_all(fs::path(place(pod).hosts_file).parent_path(), ec);
}

bool PodNetwork::add_pod(const PodSpec& pod, const std::map<std::string, std::string>& hosts, std::string& error) {
  if (!valid_name(pod.name, 10) || pod.name == "node" || subnet_of(pod.ip) != subnet_of(gateway_)) {
    error = fmt::format("pod '{}' ({}): want a name of at most 10 [a-z0-9-] and an address in {}0/24",
                        pod.name, pod.ip, subnet_of(gateway_));
    return false;
  }
  const std::string node = node_netns(run_id_), ns = netns_name(run_id_, pod.name), veth = "v-" + pod.name;
  write_hosts(pod, hosts);
  Step s{*runner_, error};
  bool ok =
      s.run({"ip", "netns", "add", ns}) &&
      s.run({"ip", "-n", node, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns}) &&
      s.run({"ip", "-n", node, "link", "set", veth, "master", kBridge, "up"}) &&
      s.run({"ip", "-n", ns, "link", "set", "lo", "up"}) &&
      s.run({"ip", "-n", ns, "addr", "add", pod.ip + "/24", "dev", "eth0"}) &&
      s.run({"ip", "-n", ns, "link", "set", "eth0", "up"}) &&
      s.run({"ip", "-n", ns, "route", "add", "default", "via", gateway_});
  // Istio's inbound passthrough source for IPv6; without IPv6 there is nothing to add.
  if (ok) runner_->run({"ip", "-n", ns, "-6", "addr", "add", "::6/128", "dev", "lo"}, "");
  if (!ok) remove_pod(pod.name);
  return ok;
}

PodPlace PodNetwork::place(const std::string& pod) const {
  return PodPlace{netns_name(run_id_, pod), run_dir(run_id_) + "/" + pod + "/hosts"};
}

pid_t PodNetwork::spawn(const std::string& pod, const std::vector<std::string>& argv, uid_t uid, gid_t gid,
                        std::string& error) const {
  SpawnSpec spec;
  spec.argv = argv;
  spec.uid = uid;
  spec.gid = gid;
  return spawn(pod, spec, error);
}

namespace {

// In the child, after fork: everything but the namespaces and the user.
std::string prepare_child(const SpawnSpec& spec) {
  for (const auto& [name, value] : spec.env) setenv(name.c_str(), value.c_str(), 1);
  if (!spec.cwd.empty() && chdir(spec.cwd.c_str()) != 0) return "chdir " + spec.cwd + ": " + std::strerror(errno);
  if (spec.output_fd >= 0) {
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    dup2(spec.output_fd, 1);
    dup2(spec.output_fd, 2);
  }
  setsid();  // its own process group: signals to the supervisor's group don't reach it
  return "";
}

}  // namespace

pid_t PodNetwork::spawn(const std::string& pod, const SpawnSpec& spec, std::string& error) const {
  if (spec.argv.empty()) {
    error = "nothing to run";
    return -1;
  }
  PodPlace where = place(pod);
  pid_t pid = fork();
  if (pid < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    return -1;
  }
  if (pid > 0) return pid;
  std::string why = enter_pod(where, spec.uid, spec.gid);
  if (why.empty()) why = prepare_child(spec);
  if (why.empty()) {
    std::vector<char*> args;
    for (const auto& a : spec.argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    why = spec.argv[0] + ": " + std::strerror(errno);
  }
  why += "\n";
  (void)!write(2, why.data(), why.size());
  _exit(127);
}

std::string enter_pod(const PodPlace& place, uid_t uid, gid_t gid) {
  std::string path = "/run/netns/" + place.netns;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "no such pod network namespace: " + place.netns;
  int rc = setns(fd, CLONE_NEWNET);
  close(fd);
  if (rc != 0) return std::string("setns: ") + std::strerror(errno);
  // A private mount namespace, so the hosts file is seen only in here.
  if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
    return std::string("mount namespace: ") + std::strerror(errno);
  if (mount(place.hosts_file.c_str(), "/etc/hosts", nullptr, MS_BIND, nullptr) != 0)
    return "bind " + place.hosts_file + " over /etc/hosts: " + std::strerror(errno);
  if (gid != 0 && (setgroups(0, nullptr) != 0 || setgid(gid) != 0))
    return std::string("setgid: ") + std::strerror(errno);
  if (uid != 0 && setuid(uid) != 0) return std::string("setuid: ") + std::strerror(errno);
  return "";
}

void cleanup_run(const std::string& run_id, inject::CommandRunner& runner) {
  const std::string prefix = prefix_of(run_id);
  std::vector<std::string> mine;
  for (const std::string& ns : list_netns(runner)) {
    if (ns.rfind(prefix, 0) == 0) mine.push_back(ns);
  }
  for (const std::string& ns : mine) kill_members(ns, runner);
  // Pods first: their veth ends go with them; the node (bridge) last.
  for (const std::string& ns : mine) {
    if (ns != node_netns(run_id)) runner.run({"ip", "netns", "delete", ns}, "");
  }
  runner.run({"ip", "netns", "delete", node_netns(run_id)}, "");
  std::error_code ec;
  fs::remove_all(run_dir(run_id), ec);
}

std::vector<std::string> cleanup_stale(inject::CommandRunner& runner) {
  std::vector<std::string> runs;
  auto add = [&](const std::string& id) {
    if (std::find(runs.begin(), runs.end(), id) == runs.end() && !alive(read_owner(id))) runs.push_back(id);
  };
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kStateDir, ec)) add(entry.path().filename().string());
  const size_t plen = std::strlen(kPrefix);
  for (const std::string& ns : list_netns(runner)) {
    size_t dash = ns.find('-', plen);
    if (dash != std::string::npos) add(ns.substr(plen, dash - plen));
  }
  for (const std::string& id : runs) cleanup_run(id, runner);
  return runs;
}

}  // namespace mesh::podnet
