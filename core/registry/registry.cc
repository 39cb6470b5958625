// Registry helpers and lookups. Building lives in registry_build.cc.
#include "core/registry/registry.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

namespace mesh::registry {
namespace {

struct ProtocolName {
  std::string_view name;
  Protocol protocol;
};

// Longest names first so "http2" is not read as "http".
constexpr std::array<ProtocolName, 11> kProtocols = {{
    {"grpc-web", Protocol::kGrpc},
    {"http2", Protocol::kHttp2},
    {"https", Protocol::kHttps},
    {"mongo", Protocol::kMongo},
    {"mysql", Protocol::kMysql},
    {"redis", Protocol::kRedis},
    {"http", Protocol::kHttp},
    {"grpc", Protocol::kGrpc},
    {"tls", Protocol::kTls},
    {"tcp", Protocol::kTcp},
    {"udp", Protocol::kUdp},
}};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool is_ip(std::string_view s) {
  std::string text(s);
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

}  // namespace

Protocol protocol_from_name(std::string_view text) {
  const std::string name = lower(text);
  for (const ProtocolName& p : kProtocols) {
    if (name == p.name) return p.protocol;
    // Istio's naming convention: <protocol>[-<suffix>].
    if (name.size() > p.name.size() && name.starts_with(p.name) && name[p.name.size()] == '-') {
      return p.protocol;
    }
  }
  // Kubernetes appProtocol values for HTTP/2 cleartext.
  if (name == "kubernetes.io/h2c") return Protocol::kHttp2;
  return Protocol::kUnknown;
}

std::string_view protocol_name(Protocol p) {
  switch (p) {
    case Protocol::kHttp:
      return "HTTP";
    case Protocol::kHttp2:
      return "HTTP2";
    case Protocol::kGrpc:
      return "GRPC";
    case Protocol::kHttps:
      return "HTTPS";
    case Protocol::kTls:
      return "TLS";
    case Protocol::kTcp:
      return "TCP";
    case Protocol::kUdp:
      return "UDP";
    case Protocol::kMongo:
      return "Mongo";
    case Protocol::kRedis:
      return "Redis";
    case Protocol::kMysql:
      return "MySQL";
    case Protocol::kUnknown:
      break;
  }
  return "UnsupportedProtocol";
}

bool is_http_like(Protocol p) {
  return p == Protocol::kHttp || p == Protocol::kHttp2 || p == Protocol::kGrpc || p == Protocol::kUnknown;
}

bool selects(const Labels& selector, const Labels& labels) {
  for (const auto& [key, value] : selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

std::string resolve_host(std::string_view host, std::string_view ns) {
  if (host == "*" || host.find('.') != std::string_view::npos || is_ip(host)) return std::string(host);
  std::string out(host);
  if (!ns.empty()) {
    out += '.';  // appended piecewise: "." + string trips GCC 12's -Wrestrict at -O3
    out += ns;
  }
  out += '.';
  out += kDomainSuffix;
  return out;
}

bool exported_to(const std::vector<std::string>& export_to, std::string_view owner_ns, std::string_view ns) {
  if (export_to.empty()) return true;
  for (const std::string& e : export_to) {
    if (e == "*") return true;
    if (e == "." && owner_ns == ns) return true;
    if (e == ns) return true;
  }
  return false;
}

bool host_matches(std::string_view pattern, std::string_view host) {
  if (pattern == "*" || host == "*") return true;
  if (pattern == host) return true;
  // "*.example.com" covers "a.example.com" and "*.a.example.com" but not "example.com".
  auto suffix_of = [](std::string_view wild, std::string_view h) {
    if (!wild.starts_with("*")) return false;
    std::string_view suffix = wild.substr(1);
    std::string_view tail = h.starts_with("*") ? h.substr(1) : h;
    return tail.size() > suffix.size() && tail.ends_with(suffix);
  };
  return suffix_of(pattern, host) || suffix_of(host, pattern);
}

const Port* Service::find_port(uint32_t number) const {
  for (const Port& p : ports) {
    if (p.number == number) return &p;
  }
  return nullptr;
}

void Registry::index() {
  by_host_.clear();
  by_vip_.clear();
  by_port_.clear();
  workload_by_name_.clear();
  for (size_t i = 0; i < services_.size(); ++i) {
    const Service& s = services_[i];
    by_host_.emplace(s.hostname, i);  // first wins: Kubernetes services come first
    if (!s.vip.empty()) by_vip_.emplace(s.vip, i);
    for (const Port& p : s.ports) by_port_[p.number].push_back(i);
  }
  for (size_t i = 0; i < workloads_.size(); ++i) {
    workload_by_name_.emplace(workloads_[i].ns + "/" + workloads_[i].name, i);
  }
  reset_endpoint_cache();
}

const Service* Registry::find(std::string_view hostname) const {
  auto it = by_host_.find(hostname);
  return it == by_host_.end() ? nullptr : &services_[it->second];
}

const Service* Registry::lookup(std::string_view host, std::string_view ns) const {
  return find(resolve_host(host, ns));
}

const Service* Registry::find_by_vip(std::string_view vip, uint32_t port) const {
  auto it = by_vip_.find(vip);
  if (it == by_vip_.end()) return nullptr;
  const Service& s = services_[it->second];
  return (port == 0 || s.find_port(port)) ? &s : nullptr;
}

const Workload* Registry::find_workload(std::string_view ns, std::string_view name) const {
  auto it = workload_by_name_.find(std::string(ns) + "/" + std::string(name));
  return it == workload_by_name_.end() ? nullptr : &workloads_[it->second];
}

const std::vector<size_t>& Registry::services_on_port(uint32_t port) const {
  static const std::vector<size_t> kNone;
  auto it = by_port_.find(port);
  return it == by_port_.end() ? kNone : it->second;
}

const Workload* Registry::workload_of(const Endpoint& e) const {
  if (e.workload < 0 || static_cast<size_t>(e.workload) >= workloads_.size()) return nullptr;
  return &workloads_[e.workload];
}

}  // namespace mesh::registry
