// `mesh proxy sidecar|drain|wait`: the sidecar container's command as
// `mesh inject` writes it, and the helpers its lifecycle hooks run. Their flags
// are in cmd/cli_run.cc.
#pragma once

#include <string>

#include "cmd/proxy.h"
#include "cmd/proxy_control.h"
#include "proxy/proxy.h"

namespace mesh::cmd {

struct SidecarOptions {
  proxy::ProxyOptions proxy;
  ProxyFiles files;
  ControlFlags control;  // --control: config pushed by `mesh control`
  std::string log_level;
  int outbound_port = 15001, inbound_port = 15006, app_health_port = 15020;
  std::string capture_address = "0.0.0.0";
};

// Runs until SIGTERM; fills in the identity from the pod's environment first.
int run_sidecar(SidecarOptions& o);

// `mesh proxy wait` and `mesh proxy drain`: a sidecar's port on 127.0.0.1.
struct ProxyClientOptions {
  int port = 0;
  double timeout_s = 60;
  int period_ms = 200;
};

int run_proxy_wait(const ProxyClientOptions& o);
int run_proxy_drain(const ProxyClientOptions& o);

}  // namespace mesh::cmd
