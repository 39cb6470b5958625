// mesh proxy sidecar: capture listeners (15001 outbound, 15006 inbound), admin
// (15000), health (15021) and application probes (15020), with the identity
// the pod's downward-API env gives it. `mesh proxy drain` (preStop) and
// `mesh proxy wait` (holdApplicationUntilProxyStarts) talk to it over loopback.
#include "cmd/proxy_sidecar.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "proxy/app_health.h"
#include "proxy/config_feed.h"

namespace mesh::cmd {
namespace {

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

}  // namespace

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

// Polls /healthz/ready until the proxy answers 200, like `pilot-agent wait`.
int run_proxy_wait(const ProxyClientOptions& o) {
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
int run_proxy_drain(const ProxyClientOptions& o) {
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

}  // namespace mesh::cmd
