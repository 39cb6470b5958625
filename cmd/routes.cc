// mesh routes: the routes one proxy gets from a set of config files, printed like
// `istioctl proxy-config routes` (table) or in full (json/yaml); with --explain,
// which route serves one request.
#include "cmd/routes.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "cmd/table.h"
#include "cmd/up_common.h"
#include "cmd/routes_explain.h"
#include "cmd/routes_live.h"
#include "core/model/load.h"
#include "core/translate/translate.h"

namespace mesh::cmd {
namespace {

std::pair<std::string, std::string> split_ref(const std::string& ref) {
  const size_t slash = ref.find('/');
  if (slash == std::string::npos) return {"default", ref};
  return {ref.substr(0, slash), ref.substr(slash + 1)};
}

std::string ip_of(const registry::Registry& reg, const std::string& ns, const std::string& name) {
  if (const registry::Workload* w = reg.find_workload(ns, name)) return w->ip;
  if (const registry::Workload* w = reg.find_workload(ns, name + "-0")) return w->ip;
  return "";
}

// A Pod or a Deployment (StatefulSet, ...) named ns/name, as a proxy identity.
std::optional<pc::ProxyIdentity> find_workload(const model::ConfigSet& config, const registry::Registry& reg,
                                               const std::string& ns, const std::string& name) {
  pc::ProxyIdentity p;
  p.ns = ns;
  p.name = name;
  auto fill = [&](const model::PodTemplate& t, const model::Labels& fallback) {
    p.labels = t.labels.empty() ? fallback : t.labels;
    if (!t.service_account.empty()) p.service_account = t.service_account;
    p.ip = ip_of(reg, ns, name);
    return p;
  };
  auto ns_of = [](const model::Meta& m) { return m.ns.empty() ? std::string("default") : m.ns; };
  for (const model::Pod& pod : config.pods) {
    if (ns_of(pod.meta) == ns && pod.meta.name == name) return fill(pod.spec, pod.meta.labels);
  }
  for (const model::Workload& w : config.workloads) {
    if (ns_of(w.meta) == ns && w.meta.name == name) return fill(w.template_, w.meta.labels);
  }
  return std::nullopt;
}

// --gateway: a workload of that name, else the workload a Gateway of that name
// selects, else Istio's default ingress gateway labels for "istio-ingressgateway".
std::optional<pc::ProxyIdentity> find_gateway(const model::ConfigSet& config, const registry::Registry& reg,
                                              const std::string& ns, const std::string& name) {
  std::optional<pc::ProxyIdentity> p = find_workload(config, reg, ns, name);
  for (const model::Gateway& g : config.gateways) {
    if (p || g.meta.name != name || (g.meta.ns.empty() ? "default" : g.meta.ns) != ns) continue;
    for (const model::Workload& w : config.workloads) {
      if (!g.selector.empty() && registry::selects(g.selector, w.template_.labels)) {
        p = find_workload(config, reg, w.meta.ns.empty() ? "default" : w.meta.ns, w.meta.name);
        break;
      }
    }
    if (!p) {
      p = pc::ProxyIdentity{};
      p->name = name, p->ns = ns, p->labels = g.selector;
    }
  }
  if (!p && name == "istio-ingressgateway") {
    p = pc::ProxyIdentity{};
    p->name = name, p->ns = ns, p->labels = {{"app", "istio-ingressgateway"}, {"istio", "ingressgateway"}};
    p->service_account = "istio-ingressgateway-service-account";
  }
  if (p) p->type = pc::ProxyIdentity::Type::kGateway;
  return p;
}

std::optional<pc::ProxyIdentity> pick_proxy(const RoutesOptions& o, const model::ConfigSet& config,
                                            const registry::Registry& reg) {
  if (!o.gateway.empty()) {
    auto [ns, name] = split_ref(o.gateway);
    return find_gateway(config, reg, ns, name);
  }
  const std::string& ref = !o.from.empty() ? o.from : o.workload;
  if (!ref.empty()) {
    auto [ns, name] = split_ref(ref);
    return find_workload(config, reg, ns, name);
  }
  pc::ProxyIdentity p;
  p.name = "sidecar";
  return p;
}

// Like istioctl: domains without ports, expansions of shorter names dropped.
std::string describe_domains(const std::vector<std::string>& domains) {
  if (domains.size() == 1) return domains[0];
  std::vector<std::string> shown;
  for (const std::string& d : domains) {
    if (d.find(':') != std::string::npos) continue;
    bool expansion = false;
    for (const std::string& other : domains) {
      expansion = expansion || (other.size() < d.size() && other.find(':') == std::string::npos &&
                                d.starts_with(other + ".") && d.find(".svc") != std::string::npos);
    }
    if (!expansion) shown.push_back(d);
  }
  if (shown.size() <= 2) {
    std::string out;
    for (const std::string& s : shown) out += (out.empty() ? "" : ", ") + s;
    return out;
  }
  return shown[0] + ", " + shown[1] + " + " + std::to_string(shown.size() - 2) + " more...";
}

std::string describe_match(const pc::RouteMatch* m) {
  if (!m || !m->uri) return (m && (!m->headers.empty() || m->method)) ? "/* (+headers)" : "/*";
  std::string out = m->uri->value;
  if (m->uri->kind == pc::StringMatcher::Kind::kPrefix) out += "*";
  if (!m->headers.empty()) out += " (+headers)";
  return out;
}

void print_table(const pc::ProxyConfig& config) {
  std::vector<std::array<std::string, 5>> rows = {
      {"NAME", "VHOST NAME", "DOMAINS", "MATCH", "VIRTUAL SERVICE"}};
  for (const pc::RouteTable& t : config.route_tables) {
    for (const pc::VirtualHost& v : t.virtual_hosts) {
      const std::string domains = describe_domains(v.domains);
      for (const pc::Route& r : v.routes) {
        if (r.matches.empty())
          rows.push_back({t.name, v.name, domains, describe_match(nullptr), r.virtual_service});
        for (const pc::RouteMatch& m : r.matches) {
          rows.push_back({t.name, v.name, domains, describe_match(&m), r.virtual_service});
        }
      }
    }
  }
  cmd::print_table(rows);
}

// Hidden --bench-sidecars N: translate N sidecars (the input's workloads in turn)
// as the control plane does (one SharedTranslation per config generation) and
// report the time per sidecar, for bench/config-scale.sh.
void bench_sidecars(int n, const model::ConfigSet& config, const registry::Registry& reg) {
  std::vector<pc::ProxyIdentity> proxies;
  for (const registry::Workload& w : reg.workloads()) {
    pc::ProxyIdentity p;
    p.name = w.name, p.ns = w.ns, p.labels = w.labels, p.service_account = w.service_account, p.ip = w.ip;
    proxies.push_back(std::move(p));
  }
  if (proxies.empty()) proxies.emplace_back();
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  size_t routes = 0;
  translate::SharedTranslation shared(config, reg);
  for (int i = 0; i < n; ++i) {
    auto cfg = shared.translate(proxies[i % proxies.size()]);
    routes += cfg->route_tables.size();
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  const double cpu_ms = 1000.0 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  // CPU time too: on a busy machine wall time mostly measures waiting for a core.
  std::fprintf(stderr,
               "translated %d sidecars in %.1f ms: %.2f ms per sidecar (%.2f ms CPU; %zu route tables, %zu scopes)\n",
               n, ms, n ? ms / n : 0.0, n ? cpu_ms / n : 0.0, routes, shared.scope_count());
}

// Prints one proxy's config as the chosen output (table, json, yaml or --explain).
int render(const RoutesOptions& o, const pc::ProxyConfig& cfg) {
  if (!o.explain.empty()) {
    return run_explain(cfg, ExplainOptions{o.explain, o.headers, o.output == "json" ? "json" : ""});
  }
  if (o.output == "json") {
    std::fputs(translate::to_json(cfg).c_str(), stdout);
  } else if (o.output == "yaml") {
    std::fputs(translate::to_yaml(cfg).c_str(), stdout);
  } else {
    print_table(cfg);
  }
  return 0;
}

int run_live_routes(const RoutesOptions& o) {
  std::string error;
  auto cfg = !o.proxy.empty() ? fetch_from_proxy(o.proxy, error) : fetch_from_control(control_address(o.control, o.profile), o.name, error);
  if (!cfg) {
    std::fprintf(stderr, "mesh routes: %s\n", error.c_str());
    return 1;
  }
  return render(o, *cfg);
}

}  // namespace

int run_routes(const RoutesOptions& o) {
  if (o.files.empty() && o.name.empty() && o.proxy.empty()) {
    std::fprintf(stderr, "mesh routes: give -f FILES (offline), a pod NAME or --proxy ADDR (live)\n");
    return 2;
  }
  if (o.files.empty()) return run_live_routes(o);
  model::ConfigSet config;
  model::Diagnostics diags;
  model::load_paths(o.files, model::LoadOptions{}, config, diags);
  diags.sort();
  for (const auto& d : diags.items()) std::fprintf(stderr, "%s\n", d.format().c_str());
  if (diags.has_errors()) return 1;
  const registry::Registry reg = registry::Registry::build(config);
  std::optional<pc::ProxyIdentity> proxy = pick_proxy(o, config, reg);
  if (!proxy) {
    const std::string& ref = !o.gateway.empty() ? o.gateway : !o.from.empty() ? o.from : o.workload;
    std::fprintf(stderr, "mesh routes: no workload %s in the input\n", ref.c_str());
    return 1;
  }
  if (o.bench_sidecars > 0) bench_sidecars(o.bench_sidecars, config, reg);
  return render(o, *translate::translate(config, reg, *proxy));
}

}  // namespace mesh::cmd
