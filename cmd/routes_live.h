// `mesh routes NAME` / `mesh routes --proxy ADDR`: the ProxyConfig a running proxy
// serves, fetched from the control plane (what it last sent that proxy) or from
// the proxy's admin endpoint (/config_dump), decoded with the wire codec.
#pragma once

#include <memory>
#include <string>

#include "core/proxyconfig/proxy_config.h"

namespace mesh::cmd {

// `name`: a pod ("ns/name", "name.ns" or "name") or a Deployment (its first pod).
std::shared_ptr<const pc::ProxyConfig> fetch_from_control(const std::string& control, const std::string& name,
                                                          std::string& error);
std::shared_ptr<const pc::ProxyConfig> fetch_from_proxy(const std::string& admin, std::string& error);

}  // namespace mesh::cmd
