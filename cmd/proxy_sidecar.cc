// mesh proxy sidecar: capture listeners (15001 outbound, 15006 inbound), admin
// (15000), health (15021) and application probes (15020), with the identity
// the pod's downward-API env gives it. `mesh proxy drain` (preStop) and
// `mesh proxy wait` (holdApplicationUntilProxyStarts) talk to it over loopback.
#include "cmd/proxy_sidecar.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "cmd/proxy_control.h"
#include "proxy/app_health.h"
#include "proxy/config_feed.h"
#include "proxy/proxy.h"

namespace mesh::cmd {
namespace {

struct SidecarOptions {
  proxy::ProxyOptions proxy;
  ProxyFiles files;
  ControlFlags control;  // --control: config pushed by `mesh control`
  std::string log_level;
  int outbound_port = 15001, inbound_port = 15006, app_health_port = 15020;
  std::string capture_address = "0.0.0.0";
};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Config from files, re-read on SIGHUP.
class FileFeed final : public proxy::ConfigFeed {
 public:
  explicit FileFeed(ProxyFiles files) : files_(std::move(files)) {}
  std::shared_ptr<const pc::ProxyConfig> initial(std::string& error) override {
    return load_proxy_config(files_, error);
  }
  void start(proxy::Proxy& p) override {
    p.set_reload_source([this](std::string& err) { return load_proxy_config(files_, err); });
  }
  void stop() override {}

 private:
  ProxyFiles files_;
};

// Config pushed by `mesh control`: the sidecar starts with an empty config and
// is not ready (/healthz/ready 503) until the first snapshot arrives.
class ControlFeed final : public proxy::ConfigFeed {
 public:
  ControlFeed(ControlFlags flags, std::string workload) : flags_(std::move(flags)), workload_(std::move(workload)) {}
  std::shared_ptr<const pc::ProxyConfig> initial(std::string& error) override {
    hello_from_flags(flags_, workload_, "", error);  // refuse bad identity flags before listening
    return error.empty() ? std::make_shared<pc::ProxyConfig>() : nullptr;
  }
  void start(proxy::Proxy& p) override {
    std::string error;
    client_ = start_control_client(p, flags_, workload_, "", "", error);
    if (!client_) {
      std::fprintf(stderr, "mesh proxy sidecar: %s\n", error.c_str());
      p.shutdown();
    }
  }
  void stop() override { client_.reset(); }

 private:
  ControlFlags flags_;
  std::string workload_;
  std::unique_ptr<proxy::ControlClient> client_;
};

// -c files take precedence when both are given (tests pin a config that way).
std::unique_ptr<proxy::ConfigFeed> make_feed(SidecarOptions& o, std::string& error) {
  if (!o.files.files.empty()) return std::make_unique<FileFeed>(o.files);
  if (o.control.address.empty()) {
    error = "no config: give --control ADDR (mesh control) or -c FILES";
    return nullptr;
  }
  o.proxy.await_config = true;
  return std::make_unique<ControlFeed>(o.control, o.files.workload);
}

void fill_identity(SidecarOptions& o) {
  if (o.files.workload.empty()) {
    std::string name = env("POD_NAME"), ns = env("POD_NAMESPACE");
    if (!name.empty()) o.files.workload = (ns.empty() ? "default" : ns) + "/" + name;
  }
  if (o.files.ip.empty()) o.files.ip = env("INSTANCE_IP");
  if (o.control.pod_ip.empty()) o.control.pod_ip = o.files.ip;
  auto port_text = [](const std::string& address, int port) { return address + ":" + std::to_string(port); };
  o.proxy.listen.clear();
  o.proxy.outbound_capture = port_text(o.capture_address, o.outbound_port);
  o.proxy.inbound_capture = port_text(o.capture_address, o.inbound_port);
}

int run_sidecar(SidecarOptions& o) {
  fill_identity(o);
  std::string error;
  auto probers = proxy::parse_app_probers(env("ISTIO_KUBE_APP_PROBERS"), error);
  std::unique_ptr<proxy::ConfigFeed> feed = probers ? make_feed(o, error) : nullptr;
  std::shared_ptr<const pc::ProxyConfig> config = feed ? feed->initial(error) : nullptr;
  if (!config) {
    std::fprintf(stderr, "%smesh proxy sidecar: cannot start\n", error.empty() ? "" : (error + "\n").c_str());
    return 1;
  }
  proxy::AppHealthServer health(std::move(*probers), o.files.ip);
  if (o.app_health_port >= 0 && !health.start(o.capture_address, o.app_health_port, error)) {
    std::fprintf(stderr, "mesh proxy sidecar: %s\n", error.c_str());
    return 1;
  }
  proxy::Proxy p(o.proxy);
  if (!p.start(config, error)) {
    std::fprintf(stderr, "mesh proxy sidecar: %s\n", error.c_str());
    return 1;
  }
  feed->start(p);
  int rc = p.run();
  feed->stop();
  health.stop();
  return rc;
}

void add_sidecar(CLI::App& proxy_cmd, Action& run) {
  auto o = std::make_shared<SidecarOptions>();
  o->proxy.admin_port = 15000;
  o->proxy.health_port = 15021;
  CLI::App* sub =
      proxy_cmd.add_subcommand("sidecar", "Run as a pod's sidecar: transparent capture on 15001/15006");
  add_control_flags(sub, o->control);
  sub->add_option("-c,--config", o->files.files, "Istio YAML and Kubernetes objects; SIGHUP reloads")
      ->expected(1, -1);
  sub->add_option("--workload", o->files.workload,
                  "Serve as pod NAMESPACE/NAME (default: POD_NAMESPACE/POD_NAME)");
  sub->add_option("--concurrency", o->proxy.concurrency, "Worker threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  sub->add_option("--log-level", o->log_level, "Log level (accepted for Istio compatibility)");
  sub->add_option("--capture-address", o->capture_address, "Address of the capture and probe listeners")
      ->capture_default_str();
  sub->add_option("--outbound-port", o->outbound_port, "Outbound capture port (iptables -p)")
      ->capture_default_str();
  sub->add_option("--inbound-port", o->inbound_port, "Inbound capture port (iptables -z)")
      ->capture_default_str();
  sub->add_option("--admin-port", o->proxy.admin_port, "Admin port on 127.0.0.1")->capture_default_str();
  sub->add_option("--health-port", o->proxy.health_port, "Health port (/healthz/ready)")
      ->capture_default_str();
  sub->add_option("--app-health-port", o->app_health_port,
                  "Application probe port (/app-health/...; -1: off)")
      ->capture_default_str();
  sub->add_option("--ready-file", o->proxy.ready_file, "Write the bound ports here as JSON once serving");
  sub->add_option("--drain-seconds", o->proxy.drain_seconds,
                  "How long in-flight requests may finish on SIGTERM")
      ->capture_default_str();
  sub->callback([&run, o] { run = [o] { return run_sidecar(*o); }; });
}

struct ClientOptions {
  int port = 0;
  double timeout_s = 60;
  int period_ms = 200;
};

// Polls /healthz/ready until the proxy answers 200, like `pilot-agent wait`.
int run_wait(const ClientOptions& o) {
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000));
  proxy::HttpProbeRequest r;
  r.ip = "127.0.0.1";
  r.port = static_cast<uint16_t>(o.port);
  r.path = "/healthz/ready";
  r.host = "127.0.0.1:" + std::to_string(o.port);
  r.user_agent = "mesh-proxy-wait";
  while (proxy::http_request_status(r) != 200) {
    if (std::chrono::steady_clock::now() >= deadline) {
      std::fprintf(stderr, "mesh proxy wait: not ready after %.0f s\n", o.timeout_s);
      return 1;
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(o.period_ms));  // polling period, not synchronisation
  }
  return 0;
}

// Asks the proxy to drain (stop accepting; in-flight requests finish).
int run_drain(const ClientOptions& o) {
  proxy::HttpProbeRequest r;
  r.ip = "127.0.0.1";
  r.port = static_cast<uint16_t>(o.port);
  r.method = "POST";
  r.path = "/drain";
  r.host = "127.0.0.1:" + std::to_string(o.port);
  r.user_agent = "mesh-proxy-drain";
  r.timeout_ms = static_cast<int>(o.timeout_s * 1000);
  int status = proxy::http_request_status(r);
  if (status == 200) return 0;
  std::fprintf(stderr, "mesh proxy drain: admin port %d answered %d\n", o.port, status);
  return 1;
}

void add_client(CLI::App& proxy_cmd, Action& run, bool wait) {
  auto o = std::make_shared<ClientOptions>();
  o->port = wait ? 15021 : 15000;
  o->timeout_s = wait ? 60 : 5;
  CLI::App* sub = wait ? proxy_cmd.add_subcommand("wait", "Wait until the sidecar is ready (postStart hook)")
                       : proxy_cmd.add_subcommand("drain", "Make the sidecar drain (preStop hook)");
  sub->add_option(wait ? "--health-port" : "--admin-port", o->port, "Port on 127.0.0.1")
      ->capture_default_str();
  sub->add_option("--timeout-seconds", o->timeout_s, "Give up after this long")->capture_default_str();
  if (wait) sub->add_option("--period-millis", o->period_ms, "Time between attempts")->capture_default_str();
  sub->callback([&run, o, wait] { run = [o, wait] { return wait ? run_wait(*o) : run_drain(*o); }; });
}

}  // namespace

void add_proxy_subcommands(CLI::App& proxy_cmd, Action& run) {
  add_sidecar(proxy_cmd, run);
  add_client(proxy_cmd, run, false);
  add_client(proxy_cmd, run, true);
}

}  // namespace mesh::cmd
