// A proxy in front of one cluster "svc" of several TestUpstreams, for the
// load-balancing, retry, connection-pool and outlier tests. One worker, so
// per-worker state (balancer, outlier detector, limits) is deterministic.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "test/proxy/proxy_fixture.h"

namespace mesh::test {

struct ClusterSetup {
  size_t upstreams = 2;
  std::vector<uint16_t> extra_ports;  // endpoints with no server (connection refused)
  std::function<void(pc::Cluster&)> cluster;
  std::function<void(pc::ForwardAction&)> route;
  std::string access_log;  // a file, "" for none
};

class ClusterFixture {
 public:
  explicit ClusterFixture(ClusterSetup setup) {
    for (size_t i = 0; i < setup.upstreams; ++i) ups.push_back(std::make_unique<TestUpstream>());
    std::vector<uint16_t> ports;
    for (auto& u : ups) ports.push_back(u->port());
    for (uint16_t p : setup.extra_ports) ports.push_back(p);
    pc::Cluster c = mesh::test::cluster("svc", ports);
    c.load_balancer.simple = model::LoadBalancerSettings::Simple::kRoundRobin;
    if (setup.cluster) setup.cluster(c);
    auto cfg = std::make_shared<pc::ProxyConfig>();
    pc::RouteTable table;
    table.name = "http";
    pc::VirtualHost vh;
    vh.name = "known";
    vh.domains = {"known.example"};
    pc::Route r = forward_route("svc", "svc", uri_prefix("/"));
    if (setup.route) setup.route(std::get<pc::ForwardAction>(r.action));
    vh.routes.push_back(r);
    table.virtual_hosts.push_back(vh);
    table.index();
    cfg->route_tables.push_back(table);
    cfg->clusters.push_back(c);
    proxy::ProxyOptions opts;
    opts.concurrency = 1;
    opts.access_log = setup.access_log;
    proxy = std::make_unique<ProxyFixture>(opts, cfg);
    config = cfg;
  }
  // Pushes a changed copy of the config, as a reload or the control plane would.
  void reconfigure(const std::function<void(pc::ProxyConfig&)>& change) {
    auto next = std::make_shared<pc::ProxyConfig>(*config);
    change(*next);
    for (auto& t : next->route_tables.mutable_list()) t.index();
    proxy->proxy().update_config(next);
    config = next;
  }
  uint16_t port() const { return proxy->port(); }
  uint64_t counter(const std::string& name) { return proxy->proxy().counter(name); }
  // Served counts per upstream, in endpoint order.
  std::vector<size_t> served() {
    std::vector<size_t> out;
    for (auto& u : ups) out.push_back(u->served());
    return out;
  }
  size_t total() {
    size_t n = 0;
    for (size_t s : served()) n += s;
    return n;
  }
  std::string clusters() {
    return request(proxy->proxy().admin_port(), "GET /clusters HTTP/1.1\r\nHost: admin\r\n\r\n").body;
  }

  std::vector<std::unique_ptr<TestUpstream>> ups;
  std::unique_ptr<ProxyFixture> proxy;
  std::shared_ptr<pc::ProxyConfig> config;
};

// Polls `done` until it holds or the deadline passes.
inline bool eventually(const std::function<bool()>& done, int timeout_ms = 5000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

inline model::Duration ms(int n) {
  return std::chrono::milliseconds(n);
}

}  // namespace mesh::test
