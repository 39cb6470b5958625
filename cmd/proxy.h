// mesh proxy's options and entry point (its flags are in cmd/cli_run.cc), and
// the config loading it shares with `mesh proxy sidecar`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cmd/proxy_control.h"
#include "core/proxyconfig/proxy_config.h"
#include "proxy/proxy.h"

namespace mesh::cmd {

// Which proxy the config files are translated for.
struct ProxyFiles {
  std::vector<std::string> files;
  std::string gateway;   // NAMESPACE/NAME
  std::string workload;  // NAMESPACE/NAME
  std::string ip;        // the workload's address (INSTANCE_IP)
};

// Loads, validates and translates; nullptr with the `mesh validate` text on error.
std::shared_ptr<const pc::ProxyConfig> load_proxy_config(const ProxyFiles& files, std::string& error);

struct ProxyCommandOptions {
  proxy::ProxyOptions proxy;
  std::vector<std::string> files;
  std::string gateway;   // NAMESPACE/NAME: serve as this gateway
  std::string workload;  // NAMESPACE/NAME: serve as this workload's sidecar
  ControlFlags control;  // --control: config pushed by `mesh control`
  double header_timeout_s = 10, idle_timeout_s = 3600, connect_timeout_s = 10;
};

// Runs until SIGTERM; fills in `o.proxy` from the other flags first.
int run_proxy(ProxyCommandOptions& o);

}  // namespace mesh::cmd
