// `mesh proxy sidecar|drain|wait`: the sidecar container's command as
// `mesh inject` writes it, and the helpers its lifecycle hooks run.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cmd/commands.h"
#include "core/proxyconfig/proxy_config.h"

namespace mesh::cmd {

// Which proxy the config files are translated for (cmd/proxy.cc).
struct ProxyFiles {
  std::vector<std::string> files;
  std::string gateway;   // NAMESPACE/NAME
  std::string workload;  // NAMESPACE/NAME
  std::string ip;        // the workload's address (INSTANCE_IP)
};

// Loads, validates and translates; nullptr with the `mesh validate` text on error.
std::shared_ptr<const pc::ProxyConfig> load_proxy_config(const ProxyFiles& files, std::string& error);

void add_proxy_subcommands(CLI::App& proxy, Action& run);

}  // namespace mesh::cmd
