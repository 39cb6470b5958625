#include "inject/up/plan.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include <yaml-cpp/yaml.h>

#include "core/model/hash.h"
#include "core/registry/registry.h"

namespace mesh::up {
namespace {

// yaml-cpp throws when a missing key of a const node is used for anything but
// a truth test; this returns an empty node instead.
// (An undefined node: a default-constructed one is null, which tests true.)
YAML::Node at(const YAML::Node& n, const char* key) {
  if (!n || !n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  YAML::Node v = n[key];
  return v ? v : YAML::Node(YAML::NodeType::Undefined);
}

std::string scalar(const YAML::Node& n) {
  return n && n.IsScalar() ? n.Scalar() : "";
}

// FNV-1a over the template's YAML, as hex: stable across runs, so an unchanged
// Deployment keeps its pods when the config is re-read.
std::string template_hash(const YAML::Node& tmpl) {
  YAML::Emitter out;
  out << tmpl;
  const uint64_t h = model::fnv1a(out.c_str());
  char text[17];
  std::snprintf(text, sizeof text, "%010llx", static_cast<unsigned long long>(h & 0xffffffffffull));
  return text;
}

uint32_t port_of(const YAML::Node& port, const PodTemplatePlan& t) {
  const std::string text = scalar(port);
  for (const auto& [name, number] : t.ports) {
    if (!name.empty() && name == text) return number;
  }
  return static_cast<uint32_t>(std::strtoul(text.c_str(), nullptr, 10));
}

Readiness readiness_of(const YAML::Node& container, const PodTemplatePlan& t) {
  Readiness r;
  const YAML::Node probe = at(container, "readinessProbe");
  if (at(probe, "httpGet")) {
    r.kind = Readiness::Kind::kHttp;
    r.port = port_of(at(at(probe, "httpGet"), "port"), t);
    r.path = scalar(at(at(probe, "httpGet"), "path"));
    if (r.path.empty()) r.path = "/";
  } else if (at(probe, "tcpSocket")) {
    r.kind = Readiness::Kind::kTcp;
    r.port = port_of(at(at(probe, "tcpSocket"), "port"), t);
  } else if (!t.ports.empty()) {
    r.kind = Readiness::Kind::kTcp;  // like a Service would need: the app accepts on its port
    r.port = t.ports.front().second;
  }
  return r;
}

void read_container(const YAML::Node& container, PodTemplatePlan& t) {
  const YAML::Node ports = at(container, "ports"), env = at(container, "env");
  for (size_t i = 0; ports.IsSequence() && i < ports.size(); ++i) {
    const auto number = static_cast<uint32_t>(std::strtoul(scalar(at(ports[i], "containerPort")).c_str(), nullptr, 10));
    if (number > 0 && number <= 65535) t.ports.emplace_back(scalar(at(ports[i], "name")), number);
  }
  for (size_t i = 0; env.IsSequence() && i < env.size(); ++i) {
    const std::string name = scalar(at(env[i], "name"));
    if (!name.empty() && at(env[i], "value")) t.env.emplace_back(name, scalar(at(env[i], "value")));
  }
  t.readiness = readiness_of(container, t);
}

void add_deployment(const model::Workload& w, Plan& plan) {
  if (w.meta.kind != "Deployment") return;
  const auto run = w.template_.annotations.find("mesh.local/run");
  if (run == w.template_.annotations.end()) return;
  PodTemplatePlan t;
  t.ns = w.meta.ns.empty() ? "default" : w.meta.ns;
  t.deployment = t.ns + "/" + w.meta.name;
  t.replicas = std::max(0, w.replicas);
  t.labels = w.template_.labels;
  if (!w.template_.service_account.empty()) t.service_account = w.template_.service_account;
  t.command = run->second;
  const auto dir = w.template_.annotations.find("mesh.local/workdir");
  t.workdir = dir == w.template_.annotations.end() ? "/" : dir->second;
  const YAML::Node tmpl = at(at(w.raw, "spec"), "template");
  t.hash = template_hash(tmpl);
  t.name_prefix = w.meta.name + "-" + t.hash + "-";
  const YAML::Node containers = at(at(tmpl, "spec"), "containers");
  if (containers.IsSequence() && containers.size() > 0) read_container(containers[0], t);
  plan.deployments.push_back(std::move(t));
}

void add_services(const model::ConfigSet& config, Plan& plan) {
  const registry::Registry reg = registry::Registry::build(config);
  for (const registry::Service& s : reg.services()) {
    if (s.origin == registry::Service::Origin::kKubernetes && !s.vip.empty())
      plan.services.push_back({s.name, s.ns, s.vip});
  }
}

void add_gateway_ports(const model::ConfigSet& config, Plan& plan) {
  std::set<uint32_t> ports;
  for (const model::Gateway& g : config.gateways) {
    if (g.selector.empty() || !registry::selects(g.selector, kGatewayLabels)) continue;
    for (const model::Server& s : g.servers) ports.insert(s.port.number);
  }
  plan.gateway_ports.assign(ports.begin(), ports.end());
}

}  // namespace

Plan plan_of(const model::ConfigSet& config) {
  Plan plan;
  for (const model::Workload& w : config.workloads) add_deployment(w, plan);
  add_services(config, plan);
  add_gateway_ports(config, plan);
  return plan;
}

std::map<std::string, std::string> hosts_for(const Plan& plan, const std::string& ns) {
  std::map<std::string, std::string> hosts;
  for (const Plan::ServiceVip& s : plan.services) {
    hosts[s.name + "." + s.ns] = s.vip;
    hosts[s.name + "." + s.ns + ".svc.cluster.local"] = s.vip;
    if (s.ns == ns) hosts[s.name] = s.vip;
  }
  return hosts;
}

std::vector<std::pair<std::string, std::string>> app_env(const PodTemplatePlan& t, const std::string& pod_name,
                                                         const std::string& pod_ip) {
  std::vector<std::pair<std::string, std::string>> env = t.env;
  env.emplace_back("POD_NAME", pod_name);
  env.emplace_back("POD_NAMESPACE", t.ns);
  env.emplace_back("POD_IP", pod_ip);
  env.emplace_back("SERVICE_ACCOUNT", t.service_account);
  if (!t.ports.empty()) env.emplace_back("PORT", std::to_string(t.ports.front().second));
  return env;
}

}  // namespace mesh::up
