// Where a sidecar's config comes from. `mesh proxy sidecar -c FILES` reads
// Istio YAML from files (reloaded on SIGHUP); the control-plane client
// (`--control ADDR`) is another feed behind the same interface.
#pragma once

#include <memory>
#include <string>

#include "core/proxyconfig/proxy_config.h"

namespace mesh::proxy {

class Proxy;

class ConfigFeed {
 public:
  virtual ~ConfigFeed() = default;
  // The config to start with, before any listener opens. nullptr with
  // `error` set: the proxy cannot start.
  virtual std::shared_ptr<const pc::ProxyConfig> initial(std::string& error) = 0;
  // Called once the proxy serves, on the main thread. A feed that receives
  // pushes hands each new config to proxy.update_config() (thread-safe).
  virtual void start(Proxy& proxy) = 0;
  // Called before the proxy is destroyed; no update_config() after it returns.
  virtual void stop() = 0;
};

}  // namespace mesh::proxy
