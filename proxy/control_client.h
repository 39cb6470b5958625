// `mesh proxy --control ADDR`: the proxy's side of the control-plane stream.
// Runs on the proxy's main thread loop. Sends its hello, applies each snapshot
// atomically (the workers swap to the new shared_ptr<const ProxyConfig>), ACKs it,
// and NACKs one it cannot decode or use, keeping the old config. While the
// control plane is away the last good config keeps serving; reconnects use
// exponential backoff with jitter so restarted control planes are not stampeded.
#pragma once

#include <uv.h>

#include <cstdint>
#include <random>
#include <string>

#include "core/xds/stream.h"

namespace mesh::proxy {

class Proxy;

struct ControlClientOptions {
  std::string address;      // ADDR:PORT of `mesh control`
  xds::Hello hello;         // who this proxy is
  std::string route_table;  // when set, a snapshot without this route table is refused
  uint64_t backoff_initial_ms = 100;
  uint64_t backoff_max_ms = 5000;
};

class ControlClient final : xds::StreamHandler {
 public:
  ControlClient(Proxy& proxy, ControlClientOptions options);
  ~ControlClient() override;
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  // Validates the address and connects on the proxy's main loop (after Proxy::start).
  bool start(std::string& error);
  void close();  // main thread; the loop must run once more
  uint64_t version() const { return version_; }

 private:
  void connect();
  void retry_later(const std::string& why);
  void on_connected(xds::Stream& stream) override;
  void on_frame(xds::Stream& stream, std::string payload) override;
  void on_closed(xds::Stream& stream, const std::string& reason) override;
  // Empty when the config is usable by this proxy.
  std::string check(const pc::ProxyConfig& config) const;

  Proxy& proxy_;
  ControlClientOptions options_;
  uv_loop_t* loop_ = nullptr;
  sockaddr_storage address_{};
  uv_timer_t retry_timer_{};
  bool timer_open_ = false;
  xds::Stream* stream_ = nullptr;
  uint64_t version_ = 0;
  uint64_t backoff_ms_ = 0;
  bool closed_ = false;
  bool logged_down_ = false;
  std::minstd_rand random_;
};

}  // namespace mesh::proxy
