// kubectl's everyday verbs for the local mesh: apply, delete, get, logs.
#include "cmd/up_tools.h"

#include <cstdio>
#include <fstream>
#include <iostream>

#include "cmd/table.h"
#include "cmd/up_common.h"
#include "core/model/load.h"
#include "core/registry/registry.h"

namespace mesh::cmd {

int run_apply(const UpToolOptions& o, bool remove) {
  const char* who = remove ? "mesh delete" : "mesh apply";
  up::MeshState state;
  if (!running_mesh(who, o.profile, state)) return 1;
  std::vector<up::StagedObject> objects;
  if (!load_objects(who, o.files, objects)) return 1;
  std::vector<std::string> lines;
  std::string error;
  if (remove) {
    up::unstage(objects, up::Paths(o.profile).config(), lines);
  } else if (!up::stage(objects, up::Paths(o.profile).config(), lines, error)) {
    std::fprintf(stderr, "%s: %s\n", who, error.c_str());
    return 1;
  }
  int rc = 0;
  for (const std::string& line : lines) {
    const bool failed = line.rfind("Error: ", 0) == 0;
    std::fprintf(failed ? stderr : stdout, "%s\n", line.c_str());
    rc = failed ? 1 : rc;
  }
  return rc;
}

namespace {

bool in_scope(const UpToolOptions& o, const std::string& ns) {
  return o.all_namespaces || ns == (o.ns.empty() ? "default" : o.ns);
}

void print_pods(const UpToolOptions& o, const up::MeshState& s) {
  std::vector<std::array<std::string, 6>> rows = {{"NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "IP"}};
  for (const up::PodStatus& p : s.pods) {
    if (!in_scope(o, p.ns)) continue;
    rows.push_back({p.ns, p.name, p.ready ? "2/2" : "1/2", p.phase, std::to_string(p.restarts), p.ip});
  }
  print_table(rows);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? "<none>" : out;
}

// Services, VirtualServices, DestinationRules, Gateways and Deployments from the staged config.
int print_config(const UpToolOptions& o, const std::string& kind) {
  model::ConfigSet config;
  model::Diagnostics diags;
  model::load_paths({up::Paths(o.profile).config()}, model::LoadOptions{}, config, diags);
  std::vector<std::array<std::string, 4>> rows;
  if (kind == "services") {
    rows.push_back({"NAMESPACE", "NAME", "CLUSTER-IP", "PORT(S)"});
    const registry::Registry reg = registry::Registry::build(config);
    for (const registry::Service& s : reg.services()) {
      if (s.origin != registry::Service::Origin::kKubernetes || !in_scope(o, s.ns)) continue;
      std::vector<std::string> ports;
      for (const registry::Port& p : s.ports) ports.push_back(std::to_string(p.number) + "/TCP");
      rows.push_back({s.ns, s.name, s.vip.empty() ? "None" : s.vip, join(ports)});
    }
  } else if (kind == "virtualservices") {
    rows.push_back({"NAMESPACE", "NAME", "GATEWAYS", "HOSTS"});
    for (const auto& v : config.virtual_services)
      if (in_scope(o, v.meta.ns)) rows.push_back({v.meta.ns, v.meta.name, join(v.gateways), join(v.hosts)});
  } else if (kind == "destinationrules") {
    rows.push_back({"NAMESPACE", "NAME", "HOST", "SUBSETS"});
    for (const auto& d : config.destination_rules) {
      std::vector<std::string> subsets;
      for (const auto& s : d.subsets) subsets.push_back(s.name);
      if (in_scope(o, d.meta.ns)) rows.push_back({d.meta.ns, d.meta.name, d.host, join(subsets)});
    }
  } else if (kind == "gateways") {
    rows.push_back({"NAMESPACE", "NAME", "PORTS", "SELECTOR"});
    for (const auto& g : config.gateways) {
      std::vector<std::string> ports, selector;
      for (const auto& s : g.servers) ports.push_back(std::to_string(s.port.number));
      for (const auto& [k, v] : g.selector) selector.push_back(k + "=" + v);
      if (in_scope(o, g.meta.ns)) rows.push_back({g.meta.ns, g.meta.name, join(ports), join(selector)});
    }
  } else {
    rows.push_back({"NAMESPACE", "NAME", "KIND", "REPLICAS"});
    for (const auto& w : config.workloads)
      if (in_scope(o, w.meta.ns)) rows.push_back({w.meta.ns, w.meta.name, w.meta.kind, std::to_string(w.replicas)});
  }
  print_table(rows);
  return 0;
}

// kubectl's names and short names for what `mesh get` lists.
std::string canonical_kind(const std::string& what) {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kinds = {
      {"pods", {"pod", "pods", "po"}},
      {"services", {"service", "services", "svc"}},
      {"virtualservices", {"virtualservice", "virtualservices", "vs"}},
      {"destinationrules", {"destinationrule", "destinationrules", "dr"}},
      {"gateways", {"gateway", "gateways", "gw"}},
      {"deployments", {"deployment", "deployments", "deploy"}},
  };
  for (const auto& [name, aliases] : kinds) {
    for (const std::string& a : aliases) {
      if (a == what) return name;
    }
  }
  return "";
}

}  // namespace

int run_get(const UpToolOptions& o) {
  const std::string kind = canonical_kind(o.what);
  if (kind.empty()) {
    std::fprintf(stderr, "mesh get: unknown resource '%s' (pods, services, virtualservices, destinationrules, "
                 "gateways, deployments)\n", o.what.c_str());
    return 2;
  }
  up::MeshState state;
  if (!running_mesh("mesh get", o.profile, state)) return 1;
  if (kind == "pods") {
    print_pods(o, state);
    return 0;
  }
  return print_config(o, kind);
}

namespace {

// A pod by name, or the first pod of a Deployment; the control plane and the gateway by their names.
std::string log_name(const UpToolOptions& o, const up::MeshState& s) {
  if (o.pod == "istiod" || o.pod == "istio-ingressgateway") return o.pod;
  for (const up::PodStatus& p : s.pods) {
    const std::string deployment = p.deployment.substr(p.deployment.find('/') + 1);
    if (p.name == o.pod || deployment == o.pod || o.pod == "deployment/" + deployment)
      return o.container == "istio-proxy" ? p.name + ".istio-proxy" : p.name;
  }
  return "";
}

}  // namespace

int run_logs(const UpToolOptions& o) {
  up::MeshState state;
  if (!running_mesh("mesh logs", o.profile, state)) return 1;
  const std::string name = log_name(o, state);
  std::ifstream f(up::Paths(o.profile).log(name));
  if (name.empty() || !f) {
    std::fprintf(stderr, "mesh logs: no pod '%s' (see mesh get pods)\n", o.pod.c_str());
    return 1;
  }
  std::cout << f.rdbuf();
  return 0;
}

}  // namespace mesh::cmd
