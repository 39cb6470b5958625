#include "cmd/proxy_control.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

namespace mesh::cmd {
namespace {

std::string env_or(const std::string& value, const char* name) {
  if (!value.empty()) return value;
  const char* v = std::getenv(name);
  return v ? v : "";
}

bool parse_port(const std::string& text, xds::PortInfo& out) {
  const size_t colon = text.rfind(':');
  const std::string number = colon == std::string::npos ? text : text.substr(colon + 1);
  if (colon != std::string::npos) out.name = text.substr(0, colon);
  char* end = nullptr;
  const unsigned long n = std::strtoul(number.c_str(), &end, 10);
  if (number.empty() || *end != '\0' || n == 0 || n > 65535) return false;
  out.number = static_cast<uint32_t>(n);
  return true;
}

// The ports `mesh inject` lists for the sidecar (ISTIO_META_POD_PORTS, the
// containers' ports as JSON), used when no --pod-port is given.
std::vector<xds::PortInfo> ports_from_env() {
  std::vector<xds::PortInfo> out;
  const char* text = std::getenv("ISTIO_META_POD_PORTS");
  if (!text) return out;
  nlohmann::json list = nlohmann::json::parse(text, nullptr, false);
  if (!list.is_array()) return out;
  for (const auto& p : list) {
    if (!p.is_object() || !p.contains("containerPort") || !p["containerPort"].is_number_unsigned()) continue;
    xds::PortInfo port;
    port.number = p["containerPort"].get<uint32_t>();
    if (p.contains("name") && p["name"].is_string()) port.name = p["name"].get<std::string>();
    if (port.number > 0 && port.number <= 65535) out.push_back(port);
  }
  return out;
}

}  // namespace

xds::Hello hello_from_flags(const ControlFlags& f, const std::string& workload, const std::string& gateway,
                            std::string& error) {
  xds::Hello h;
  h.gateway = !gateway.empty();
  const std::string& ref = h.gateway ? gateway : workload;
  const size_t slash = ref.find('/');
  const std::string ref_ns = slash == std::string::npos ? "" : ref.substr(0, slash);
  const std::string ref_name = slash == std::string::npos ? ref : ref.substr(slash + 1);
  h.name = env_or(f.pod_name.empty() ? ref_name : f.pod_name, "POD_NAME");
  h.ns = env_or(f.pod_namespace.empty() ? ref_ns : f.pod_namespace, "POD_NAMESPACE");
  if (h.ns.empty()) h.ns = "default";
  h.ip = env_or(f.pod_ip, "POD_IP");
  h.service_account = env_or(f.service_account, "SERVICE_ACCOUNT");
  if (h.service_account.empty()) h.service_account = "default";
  for (const std::string& kv : f.labels) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) error = "--pod-label wants KEY=VALUE, got '" + kv + "'";
    else h.labels[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const std::string& p : f.ports) {
    xds::PortInfo port;
    if (!parse_port(p, port)) error = "--pod-port wants [NAME:]NUMBER, got '" + p + "'";
    h.ports.push_back(port);
  }
  if (f.ports.empty()) h.ports = ports_from_env();
  if (h.name.empty() && error.empty()) error = "--control needs the pod's name (--pod-name, $POD_NAME or --workload)";
  return h;
}

std::unique_ptr<proxy::ControlClient> start_control_client(proxy::Proxy& proxy, const ControlFlags& flags,
                                                           const std::string& workload, const std::string& gateway,
                                                           const std::string& route_table, std::string& error) {
  proxy::ControlClientOptions o;
  o.address = flags.address;
  o.route_table = route_table;
  o.hello = hello_from_flags(flags, workload, gateway, error);
  if (!error.empty()) return nullptr;
  auto client = std::make_unique<proxy::ControlClient>(proxy, std::move(o));
  if (!client->start(error)) return nullptr;
  proxy::ControlClient* raw = client.get();
  proxy.add_shutdown_hook([raw] { raw->close(); });
  return client;
}

}  // namespace mesh::cmd
