// Config listeners (`mesh proxy --listen config`, for gateways): the proxy
// serves every HTTP and TCP listener of its current config, like Envoy's LDS
// (TLS ones are not served yet). A config
// change opens the listeners that appeared and closes the ones that went away
// (their connections finish on their own); the others keep their sockets, so
// clients of an unchanged port never notice a reload.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/proxyconfig/proxy_config.h"
#include "proxy/capture_route.h"

namespace mesh::proxy {

class Worker;

// A listener the config asks for. Its identity is address:port: while that
// stays in the config with the same protocol, the listener keeps its socket.
struct ListenerSpec {
  std::string name;  // "0.0.0.0_8080"
  std::string address;
  uint32_t port = 0;  // the config's port (routing sees this one, not the bound one)
  std::string route_table;  // HTTP
  pc::Listener::Protocol protocol = pc::Listener::Protocol::kHttp;
  TcpTarget tcp;  // TCP: where connections go
  std::string key() const { return address + ":" + std::to_string(port); }
  bool is_tcp() const { return protocol == pc::Listener::Protocol::kTcp; }
};

// The config's HTTP listeners and the TCP ones with a destination; the others
// go to `skipped` as "name (reason)".
std::vector<ListenerSpec> served_listeners(const pc::ProxyConfig& config, std::vector<std::string>& skipped);

struct ListenerDiff {
  std::vector<ListenerSpec> open;     // keys not served yet
  std::vector<std::string> close;     // keys served but no longer wanted
  std::vector<ListenerSpec> keep;     // keys served and still wanted, as the new config has them
  std::vector<ListenerSpec> retable;  // of `keep`, those whose route table or TCP target changed
};
// A key whose protocol changes is closed and opened again.
ListenerDiff diff_listeners(const std::vector<ListenerSpec>& current, const std::vector<ListenerSpec>& wanted);

// What /listeners and the ready file report.
struct ListenerStatus {
  ListenerSpec spec;
  uint16_t bound_port = 0;  // 0 when it could not bind
  std::string error;        // why it could not bind
  std::string bound() const;  // "127.0.0.1:41234"
};

// GET /listeners: name, address, config port, protocol, bound address:port (or
// the error that kept it from binding) and route table or TCP cluster of each.
std::string listeners_json(const std::vector<ListenerStatus>& listeners);

// The main thread's record of the config listeners. Each listener is one
// SO_REUSEPORT socket per worker, bound here (so a failure is known at once and
// port 0 resolves to one port for all workers) and handed to the workers, which
// accept on them. Calls are serialised by the caller (Proxy).
class ListenerSet {
 public:
  explicit ListenerSet(bool ephemeral) : ephemeral_(ephemeral) {}
  ~ListenerSet();

  // First half of a config change: what changes; closes the listeners that
  // went away (posted to the workers before they see the new config).
  ListenerDiff close_removed(const pc::ProxyConfig& config, const std::vector<Worker*>& workers);
  // Second half, once the workers have the new config posted: opens the new
  // listeners. Returns true when the bound listeners changed.
  bool open_added(const ListenerDiff& diff, const std::vector<Worker*>& workers);

  std::vector<ListenerStatus> status() const;  // thread-safe; bound ones first, by name
  std::string ready_json() const;              // {"8080": 41234, ...}: config port -> bound port

 private:
  struct Open {
    ListenerStatus status;
    uint64_t id = 0;  // the workers' handle for it
  };
  bool open_one(const ListenerSpec& spec, const std::vector<Worker*>& workers);
  void log_skipped(const std::vector<std::string>& names);

  const bool ephemeral_;
  mutable std::mutex mu_;  // open_ and failed_ are read by the admin endpoint
  std::vector<Open> open_;
  std::map<std::string, ListenerStatus> failed_;  // by key: logged once per reason
  std::set<std::string> skipped_logged_;
  uint64_t next_id_ = 1;
};

}  // namespace mesh::proxy
