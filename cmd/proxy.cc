// mesh proxy: the HTTP/1.1 data plane, standalone from config files.
#include "cmd/proxy.h"

#include <cstdio>

#include "core/model/analyze.h"
#include "core/model/load.h"
#include "core/net/tcp.h"
#include "core/translate/translate.h"
#include "proxy/proxy.h"

namespace mesh::cmd {
namespace {

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

}  // namespace

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

}  // namespace mesh::cmd
