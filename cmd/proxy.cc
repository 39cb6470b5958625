// mesh proxy: the HTTP/1.1 data plane, standalone from config files.
#include <cstdio>
#include <memory>

#include "cmd/commands.h"
#include "cmd/proxy_control.h"
#include "cmd/proxy_sidecar.h"
#include "core/model/analyze.h"
#include "core/model/load.h"
#include "core/net/tcp.h"
#include "core/translate/translate.h"
#include "proxy/proxy.h"

namespace mesh::cmd {
namespace {

struct ProxyCommandOptions {
  proxy::ProxyOptions proxy;
  std::vector<std::string> files;
  std::string gateway;   // NAMESPACE/NAME: serve as this gateway
  std::string workload;  // NAMESPACE/NAME: serve as this workload's sidecar
  ControlFlags control;  // --control: config pushed by `mesh control`
  double header_timeout_s = 10, idle_timeout_s = 3600, connect_timeout_s = 10;
};

std::pair<std::string, std::string> split_ref(const std::string& ref) {
  size_t slash = ref.find('/');
  if (slash == std::string::npos) return {"default", ref};
  return {ref.substr(0, slash), ref.substr(slash + 1)};
}

pc::ProxyIdentity identity(const ProxyFiles& o, const model::ConfigSet& config) {
  pc::ProxyIdentity p;
  p.name = "proxy";
  const std::string& ref = !o.gateway.empty() ? o.gateway : o.workload;
  if (ref.empty()) return p;
  auto [ns, name] = split_ref(ref);
  p.ns = ns;
  p.name = name;
  p.ip = o.ip;
  if (o.gateway.empty()) {
    for (const model::Pod& pod : config.pods) {
      if (pod.meta.name == name && (pod.meta.ns.empty() ? "default" : pod.meta.ns) == ns)
        p.labels = pod.meta.labels;
    }
    return p;
  }
  p.type = pc::ProxyIdentity::Type::kGateway;
  for (const model::Gateway& g : config.gateways) {
    if (g.meta.name == name && (g.meta.ns.empty() ? "default" : g.meta.ns) == ns) p.labels = g.selector;
  }
  return p;
}

}  // namespace

// Loads, validates and translates the files; nullptr with the `mesh validate` text on error.
std::shared_ptr<const pc::ProxyConfig> load_proxy_config(const ProxyFiles& o, std::string& error) {
  model::ConfigSet config;
  model::Diagnostics diags;
  model::load_paths(o.files, model::LoadOptions{}, config, diags);
  model::analyze(config, diags);
  if (diags.has_errors()) {
    diags.sort();
    for (const auto& d : diags.items()) error += d.format() + "\n";
    return nullptr;
  }
  registry::Registry reg = registry::Registry::build(config);
  return translate::translate(config, reg, identity(o, config));
}

namespace {

ProxyFiles files_of(const ProxyCommandOptions& o) {
  return ProxyFiles{o.files, o.gateway, o.workload, ""};
}

int run_proxy(ProxyCommandOptions& o) {
  o.proxy.request_header_timeout_ms = static_cast<uint64_t>(o.header_timeout_s * 1000);
  o.proxy.idle_timeout_ms = static_cast<uint64_t>(o.idle_timeout_s * 1000);
  o.proxy.connect_timeout_ms = static_cast<uint64_t>(o.connect_timeout_s * 1000);
  std::string error;
  std::shared_ptr<const pc::ProxyConfig> config =
      o.files.empty() ? std::make_shared<pc::ProxyConfig>() : load_proxy_config(files_of(o), error);
  if (!config) {
    std::fprintf(stderr, "%smesh proxy: config refused\n", error.c_str());
    return 1;
  }
  if (o.control.address.empty()) o.proxy.watch_paths = o.files;
  // Fed by the control plane and nothing else: not ready before the first push.
  o.proxy.await_config = !o.control.address.empty() && o.files.empty();
  std::unique_ptr<proxy::ControlClient> control;  // outlives the proxy's main loop
  proxy::Proxy p(o.proxy);
  if (o.control.address.empty())
    p.set_reload_source([&o](std::string& err) { return load_proxy_config(files_of(o), err); });
  if (!p.start(config, error) ||
      (!o.control.address.empty() &&
       !(control = start_control_client(p, o.control, o.workload, o.gateway, o.proxy.route_table, error)))) {
    std::fprintf(stderr, "mesh proxy: %s\n", error.c_str());
    return 1;
  }
  return p.run();
}

}  // namespace

void add_proxy_command(CLI::App& app, Action& run) {
  auto o = std::make_shared<ProxyCommandOptions>();
  CLI::App* sub = app.add_subcommand("proxy", "Run the HTTP data plane (standalone, config from files)");
  sub->add_option("-c,--config", o->files,
                  "Istio YAML and Kubernetes objects (files or directories); reloaded on change and on SIGHUP")
      ->expected(1, -1);
  sub->add_option("--listen", o->proxy.listen,
                  "HTTP listener ADDR:PORT, or 'config': every HTTP listener of the config, opened and "
                  "closed as it changes (gateways)")
      ->capture_default_str();
  sub->add_flag("--ephemeral-listeners", o->proxy.ephemeral_listeners,
                "With --listen config: bind each listener at port 0 (tests; see --ready-file, /listeners)");
  sub->add_option("--route-table", o->proxy.route_table,
                  "Route table the listener serves (default: http.PORT, then PORT, then the first)");
  sub->add_option("--gateway", o->gateway,
                  "Serve as the gateway NAMESPACE/NAME (its Gateway's selector labels)");
  sub->add_option("--workload", o->workload, "Serve as the sidecar of pod NAMESPACE/NAME");
  sub->add_option("--concurrency", o->proxy.concurrency, "Worker threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  sub->add_option("--admin-port", o->proxy.admin_port, "Admin port on 127.0.0.1 (0: any free port, -1: off)")
      ->capture_default_str();
  sub->add_option("--health-port", o->proxy.health_port, "Health port for /healthz/ready (0: any, -1: off)")
      ->capture_default_str();
  sub->add_option("--health-address", o->proxy.health_address, "Health listener address")
      ->capture_default_str();
  sub->add_option("--ready-file", o->proxy.ready_file, "Write the bound ports here as JSON once serving");
  sub->add_option("--drain-seconds", o->proxy.drain_seconds,
                  "On SIGTERM, how long in-flight requests may finish")
      ->capture_default_str();
  sub->add_option("--request-header-timeout", o->header_timeout_s,
                  "Seconds for a request head to arrive (408)")
      ->capture_default_str();
  sub->add_option("--idle-timeout", o->idle_timeout_s, "Seconds an idle client connection is kept")
      ->capture_default_str();
  sub->add_option("--access-log", o->proxy.access_log,
                  "Access log in Envoy's default format: a file (appended to) or - for stdout; off when unset");
  sub->add_option("--connect-timeout", o->connect_timeout_s, "Default upstream connect timeout in seconds")
      ->capture_default_str();
  add_control_flags(sub, o->control);
  sub->callback([&run, o, sub] {
    if (sub->get_subcommands().empty()) run = [o] { return run_proxy(*o); };
  });
  add_proxy_subcommands(*sub, run);
}

}  // namespace mesh::cmd
