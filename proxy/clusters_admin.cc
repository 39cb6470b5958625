#include "proxy/clusters_admin.h"

#include "core/policy/circuit_breaker.h"
#include "proxy/cluster_state.h"

namespace mesh::proxy {

namespace {

void line(std::string& out, std::string_view prefix, std::string_view name, std::string_view value) {
  out.append(prefix).append("::").append(name).append("::").append(value).append("\n");
}

void number(std::string& out, std::string_view prefix, std::string_view name, uint64_t value) {
  line(out, prefix, name, std::to_string(value));
}

void cluster_limits(std::string& out, const pc::Cluster& cluster) {
  policy::PoolLimits limits = policy::PoolLimits::from(cluster.connection_pool);
  std::string p = cluster.name + "::default_priority";
  number(out, p, "max_connections", limits.max_connections);
  number(out, p, "max_pending_requests", limits.max_pending_requests);
  number(out, p, "max_requests", limits.max_requests);
  number(out, p, "max_retries", limits.max_retries);
  line(out, cluster.name, "added_via_api", "true");
}

void endpoint_lines(std::string& out, const pc::Cluster& cluster, const pc::Endpoint& endpoint,
                    const EndpointSnapshot& s) {
  std::string p = cluster.name + "::" + endpoint.address + ":" + std::to_string(endpoint.port);
  const EndpointCounters& c = s.counters;
  number(out, p, "cx_active", c.cx_active);
  number(out, p, "cx_connect_fail", c.cx_connect_fail);
  number(out, p, "cx_total", c.cx_total);
  number(out, p, "rq_active", c.rq_active);
  number(out, p, "rq_error", c.rq_error);
  number(out, p, "rq_success", c.rq_total - c.rq_error);
  number(out, p, "rq_timeout", c.rq_timeout);
  number(out, p, "rq_total", c.rq_total);
  line(out, p, "hostname", endpoint.pod);
  std::string health;
  if (!endpoint.healthy) health += "/failed_eds_health";
  if (s.ejected) health += "/failed_outlier_check";
  line(out, p, "health_flags", health.empty() ? "healthy" : health);
  number(out, p, "weight", endpoint.weight);
  number(out, p, "num_ejections", s.times_ejected);
}

}  // namespace

void merge_snapshots(EndpointSnapshots& into, const EndpointSnapshots& from) {
  for (const auto& [key, s] : from) {
    EndpointSnapshot& e = into[key];
    EndpointCounters& c = e.counters;
    c.cx_active += s.counters.cx_active;
    c.cx_total += s.counters.cx_total;
    c.cx_connect_fail += s.counters.cx_connect_fail;
    c.rq_active += s.counters.rq_active;
    c.rq_total += s.counters.rq_total;
    c.rq_error += s.counters.rq_error;
    c.rq_timeout += s.counters.rq_timeout;
    e.ejected = e.ejected || s.ejected;
    e.times_ejected = std::max(e.times_ejected, s.times_ejected);
  }
}

std::string format_clusters(const pc::ProxyConfig& config, const EndpointSnapshots& endpoints) {
  std::string out;
  const EndpointSnapshot none;
  for (const pc::Cluster& cluster : config.clusters) {
    cluster_limits(out, cluster);
    for (const pc::Endpoint& endpoint : cluster.endpoints) {
      auto it = endpoints.find(endpoint_key(cluster, endpoint));
      endpoint_lines(out, cluster, endpoint, it == endpoints.end() ? none : it->second);
    }
  }
  return out;
}

}  // namespace mesh::proxy
