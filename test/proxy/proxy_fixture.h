// An in-process `mesh proxy` with a hand-built ProxyConfig in front of a TestUpstream.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "core/proxyconfig/proxy_config.h"
#include "proxy/proxy.h"
#include "test/proxy/test_net.h"

namespace mesh::test {

inline pc::StringMatcher prefix(std::string p) {
  pc::StringMatcher m;
  m.kind = pc::StringMatcher::Kind::kPrefix;
  m.value = std::move(p);
  return m;
}

inline pc::StringMatcher exact(std::string p) {
  pc::StringMatcher m;
  m.kind = pc::StringMatcher::Kind::kExact;
  m.value = std::move(p);
  return m;
}

inline pc::Route forward_route(std::string name, std::string cluster,
                               std::optional<pc::RouteMatch> match = {}) {
  pc::Route r;
  r.name = std::move(name);
  if (match) r.matches.push_back(*match);
  pc::ForwardAction f;
  pc::WeightedCluster wc;
  wc.cluster = std::move(cluster);
  wc.weight = 100;
  f.clusters.push_back(wc);
  f.total_weight = 100;
  r.action = f;
  return r;
}

inline pc::RouteMatch uri_prefix(std::string p) {
  pc::RouteMatch m;
  m.uri = prefix(std::move(p));
  return m;
}

inline pc::Cluster cluster(std::string name, std::vector<uint16_t> ports) {
  pc::Cluster c;
  c.name = std::move(name);
  for (uint16_t p : ports) {
    pc::Endpoint e;
    e.address = "127.0.0.1";
    e.port = p;
    c.endpoints.push_back(e);
  }
  return c;
}

// Routes on host "known.example":
//   header x-route: direct -> direct response 200 "direct"
//   /dead    -> a cluster whose endpoint refuses connections (UF)
//   /empty   -> a cluster without endpoints (UH)
//   /slow    -> the upstream with a 300 ms route timeout (UT)
//   /        -> the upstream
inline std::shared_ptr<pc::ProxyConfig> default_config(uint16_t upstream_port) {
  auto cfg = std::make_shared<pc::ProxyConfig>();
  pc::RouteTable table;
  table.name = "http";
  pc::VirtualHost vh;
  vh.name = "known";
  vh.domains = {"known.example"};
  pc::Route direct;
  direct.name = "direct";
  pc::RouteMatch hm;
  hm.headers.push_back(pc::HeaderMatcher{"x-route", exact("direct"), false});
  direct.matches.push_back(hm);
  direct.action = pc::DirectResponseAction{200, "direct"};
  vh.routes.push_back(direct);
  vh.routes.push_back(forward_route("dead", "dead", uri_prefix("/dead")));
  vh.routes.push_back(forward_route("empty", "empty", uri_prefix("/empty")));
  pc::Route slow = forward_route("slow", "up", uri_prefix("/slow"));
  std::get<pc::ForwardAction>(slow.action).timeout = std::chrono::milliseconds(300);
  vh.routes.push_back(slow);
  vh.routes.push_back(forward_route("default", "up", uri_prefix("/")));
  table.virtual_hosts.push_back(vh);
  table.index();
  cfg->route_tables.push_back(table);
  cfg->clusters.push_back(cluster("up", {upstream_port}));
  cfg->clusters.push_back(cluster("dead", {unused_port()}));
  cfg->clusters.push_back(cluster("empty", {}));
  return cfg;
}

class ProxyFixture {
 public:
  explicit ProxyFixture(proxy::ProxyOptions opts = {}, std::shared_ptr<pc::ProxyConfig> cfg = nullptr) {
    opts.listen = "127.0.0.1:0";
    opts.admin_port = 0;
    opts.health_port = 0;
    opts.health_address = "127.0.0.1";
    opts.handle_signals = false;
    if (opts.drain_seconds == 5) opts.drain_seconds = 2;
    proxy_ = std::make_unique<proxy::Proxy>(opts);
    std::string error;
    started_ = proxy_->start(cfg ? cfg : default_config(upstream.port()), error);
    if (started_) runner_ = std::thread([this] { proxy_->run(); });
  }
  ~ProxyFixture() {
    if (started_) {
      proxy_->shutdown();
      runner_.join();
    }
    proxy_.reset();
  }
  uint16_t port() const { return proxy_->port(); }
  proxy::Proxy& proxy() { return *proxy_; }
  bool started() const { return started_; }

  TestUpstream upstream;

 private:
  std::unique_ptr<proxy::Proxy> proxy_;
  bool started_ = false;
  std::thread runner_;
};

inline std::string get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: known.example\r\n" + extra + "\r\n";
}

}  // namespace mesh::test
