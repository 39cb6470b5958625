// The `mesh proxy --control ADDR` flags (registered in cmd/cli_run.cc) and the
// client they start: kept apart from cmd/proxy.cc so the standalone proxy stays small.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "proxy/control_client.h"
#include "proxy/proxy.h"

namespace mesh::cmd {

struct ControlFlags {
  std::string address;  // "" = no control plane
  std::string pod_name, pod_namespace, pod_ip, service_account;
  std::vector<std::string> labels;  // key=value
  std::vector<std::string> ports;   // name:number or number
};

// Who this proxy is, from the flags (then POD_* environment variables, then
// --workload/--gateway NAMESPACE/NAME). Empty error when the flags are usable.
xds::Hello hello_from_flags(const ControlFlags& flags, const std::string& workload, const std::string& gateway,
                            std::string& error);

// Connects the proxy to its control plane; nullptr (and `error`) on bad flags.
// The client must outlive `proxy` (declare it first).
std::unique_ptr<proxy::ControlClient> start_control_client(proxy::Proxy& proxy, const ControlFlags& flags,
                                                           const std::string& workload, const std::string& gateway,
                                                           const std::string& route_table, std::string& error);

}  // namespace mesh::cmd
