// Traffic mirroring (Istio mirror/mirrors with mirrorPercentage): a copy of the
// forwarded request goes to the mirror cluster with its Host suffixed "-shadow",
// body included (as Envoy does); the shadow's response is read and dropped. A
// shadow never delays or fails the main request: it has its own upstream
// connection, and one that falls more than kHighWater bytes behind is dropped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/proxyconfig/proxy_config.h"
#include "proxy/upstream.h"

namespace mesh::proxy {

class Worker;
class Mirrors;

// A healthy endpoint of `cluster`, round robin; nullptr when there is none.
EndpointPool* pick_endpoint(Worker& worker, std::string_view cluster);

class Shadow final : UpstreamUser {
 public:
  // Sends `request_head` to an endpoint of the mirror's cluster; nullptr when it has none.
  static Shadow* start(Worker& worker, const pc::MirrorPolicy& mirror, const std::string& request_head);
  void body(const char* data, size_t len, bool chunked);
  void end(bool chunked);  // the request is complete
  void abort();            // the connection is closed, the shadow deleted
  void set_owner(Mirrors* owner) { owner_ = owner; }

 private:
  explicit Shadow(Worker& worker) : worker_(worker) {}
  int on_upstream_head(const net::Http1Head& head) override;
  void on_upstream_body(const char*, size_t) override {}
  void on_upstream_complete() override;
  void on_upstream_error(UpstreamError error) override;
  void on_upstream_drained() override {}
  void on_upstream_read_begin() override { in_read_ = true; }
  void on_upstream_read_end() override;
  void done();

  Worker& worker_;
  Mirrors* owner_ = nullptr;
  Upstream* up_ = nullptr;
  bool in_read_ = false;
  bool finished_ = false;
};

// The shadows of one request, while its body still streams.
class Mirrors {
 public:
  ~Mirrors() { detach(); }
  // Starts a shadow for every mirror of `route` that its percentage picks.
  void start(Worker& worker, const pc::ForwardAction& route, const std::string& request_head,
             std::string_view authority);
  void body(const char* data, size_t len, bool chunked);
  void end(bool chunked);  // request complete: shadows go on alone
  void abort();            // the request was abandoned: so are its unfinished shadows
  void forget(Shadow* s);
  bool empty() const { return shadows_.empty(); }

 private:
  void detach();
  std::vector<Shadow*> shadows_;
};

}  // namespace mesh::proxy
