#include "inject/up/supervisor.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "core/net/tcp.h"
#include "inject/up/netns_io.h"

namespace mesh::up {
namespace fs = std::filesystem;

namespace {

using namespace addresses;

// The binary pods run: a copy under the state directory, since the one the
// user started may sit where uid 1337 cannot read (e.g. under /root).
bool install_binary(const Paths& paths, std::string& out, std::string& error) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) {
    error = "cannot find this binary: " + ec.message();
    return false;
  }
  fs::create_directories(fs::path(paths.binary()).parent_path(), ec);
  fs::copy_file(self, paths.binary(), fs::copy_options::overwrite_existing, ec);
  if (ec) {
    error = "cannot copy the binary to " + paths.binary() + ": " + ec.message();
    return false;
  }
  for (fs::path p = paths.binary(); p.has_parent_path() && p != "/"; p = p.parent_path()) chmod(p.c_str(), 0755);
  out = paths.binary();
  return true;
}

}  // namespace

Supervisor::Supervisor(UpOptions options) : options_(std::move(options)), paths_(options_.profile) {}

Supervisor::~Supervisor() {
  prober_.stop();
}

bool Supervisor::start(std::string& error) {
  std::error_code ec;
  fs::create_directories(paths_.logs(), ec);
  if (!install_binary(paths_, mesh_, error)) return false;
  podnet::NetworkSpec spec;
  spec.gateway = kBridge;
  spec.owner = getpid();
  network_ = podnet::PodNetwork::create(spec, runner_, error);
  if (!network_) return false;
  state_.supervisor = getpid();
  state_.run_id = network_->run_id();
  if (!start_infra(error)) return false;
  // `mesh apply` writes here; the control plane watches the same files.
  watch_ = std::make_unique<net::DirWatch>(loop_.get(), 100, [this] { reload_config(); });
  reload_config();
  return true;
}

// The control plane in pod "istiod" and its port on the host; the gateway
// starts once a Gateway selects it (set_gateway_ports).
bool Supervisor::start_infra(std::string& error) {
  podnet::PodSpec cp{"istiod", kControlIp, "istiod"};
  podnet::PodSpec gw{"gateway", kGatewayIp, "istio-ingressgateway"};
  if (!network_->add_pod(cp, {}, error) || !network_->add_pod(gw, {}, error)) return false;
  control_.log_name = "istiod";
  control_.pod = "istiod";
  control_.spec.argv = {mesh_, "control", "--config-dir", paths_.config(), "--listen",
                        "0.0.0.0:" + std::to_string(kControlPort)};
  control_.spec.env = {{"POD_NAME", "istiod"}, {"POD_NAMESPACE", "istio-system"}};
  gateway_.log_name = "istio-ingressgateway";
  gateway_.pod = "gateway";
  gateway_.wanted = false;
  maybe_start(control_, 0);
  uint16_t port = options_.ephemeral_ports ? 0 : options_.control_port;
  if (!listen_host(port, kControlIp, kControlPort, error)) return false;
  return true;
}

// 127.0.0.1:port on the machine, relayed into the pod network.
bool Supervisor::listen_host(uint16_t port, const std::string& pod_ip, uint16_t pod_port, std::string& error) {
  sockaddr_storage to{}, from{};
  net::make_address(pod_ip, pod_port, to);
  net::make_address("127.0.0.1", port, from);
  const std::string node = podnet::node_netns(network_->run_id());
  auto forward = std::make_unique<net::PortForward>(loop_.get(), to,
                                                    [node](int family) { return socket_in_netns(node, family); });
  int rc = forward->listen(from);
  if (rc != 0) {
    error = "cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + uv_strerror(rc) +
            (port != 0 ? " (is another mesh or program using it?)" : "");
    forward->close([] {});
    retired_.push_back(std::move(forward));  // freed after its handle's close callback
    return false;
  }
  const std::string address = "127.0.0.1:" + std::to_string(forward->port());
  if (pod_port == kControlPort && pod_ip == kControlIp) {
    state_.control = address;
    control_forward_ = std::move(forward);
  } else {
    state_.gateway[pod_port] = address;
    gateway_forwards_[pod_port] = std::move(forward);
  }
  return true;
}

int Supervisor::run() {
  std::string error;
  uv_timer_init(loop_.get(), &tick_);
  tick_.data = this;
  for (uv_signal_t* s : {&sigterm_, &sigint_}) {
    uv_signal_init(loop_.get(), s);
    s->data = this;
    uv_signal_start(s, [](uv_signal_t* h, int) { static_cast<Supervisor*>(h->data)->shutdown(); },
                    s == &sigterm_ ? SIGTERM : SIGINT);
  }
  if (!start(error)) {
    std::fprintf(stderr, "mesh up: %s\n", error.c_str());
    state_.error = error;
    exit_code_ = 1;
    shutdown();
  }
  uv_timer_start(&tick_, [](uv_timer_t* t) { static_cast<Supervisor*>(t->data)->tick(); }, 0, 200);
  loop_.run();
  return exit_code_;
}

void Supervisor::tick() {
  const uint64_t now = uv_now(loop_.get());
  for (Proc* p : all_procs()) reap(*p, now);
  if (stopping_) return finish_shutdown();
  for (Proc* p : all_procs()) maybe_start(*p, now);
  sweep_pods(now);
  update_status();
}

void Supervisor::shutdown() {
  if (stopping_) return;
  stopping_ = true;
  if (options_.foreground) std::fprintf(stderr, "mesh up: stopping\n");
  const uint64_t now = uv_now(loop_.get());
  stop_deadline_ms_ = now + 5000;
  for (Proc* p : all_procs()) {
    p->wanted = false;
    if (p->pid > 0) kill(p->pid, SIGTERM);
  }
}

// Waits (bounded) for every process, then removes everything and ends the loop.
void Supervisor::finish_shutdown() {
  bool running = false;
  for (Proc* p : all_procs()) running = running || p->pid > 0;
  const uint64_t now = uv_now(loop_.get());
  if (running && now < stop_deadline_ms_) return;
  for (Proc* p : all_procs()) {
    if (p->pid > 0) kill(p->pid, SIGKILL);
    if (p->pid > 0) waitpid(p->pid, nullptr, 0);
    p->pid = 0;
  }
  prober_.stop();
  uv_timer_stop(&tick_);
  auto close = [](uv_handle_t* h) { net::close_handle(h, nullptr); };
  close(reinterpret_cast<uv_handle_t*>(&tick_));
  close(reinterpret_cast<uv_handle_t*>(&sigterm_));
  close(reinterpret_cast<uv_handle_t*>(&sigint_));
  if (watch_) watch_->close();
  network_.reset();  // kills leftovers, deletes namespaces, bridge, veths
  if (!state_.error.empty()) {
    state_.pods.clear();
    write_state(paths_, state_);  // `mesh up -d` reads why; `mesh down` removes it
  } else {
    std::error_code ec;
    fs::remove_all(paths_.root, ec);
  }
  close_forwards();
}

// Ends the loop once every relay has closed its handles.
void Supervisor::close_forwards() {
  std::vector<net::PortForward*> open;
  if (control_forward_) open.push_back(control_forward_.get());
  for (auto& [port, f] : gateway_forwards_) open.push_back(f.get());
  for (auto& f : retired_) open.push_back(f.get());
  pending_closes_ = open.size() + 1;
  auto done = [this] {
    if (--pending_closes_ == 0) loop_.stop();
  };
  for (net::PortForward* f : open) f->close(done);
  done();
}

}  // namespace mesh::up
