#include "control/debug.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/registry/registry.h"

namespace mesh::control {
namespace {

using J = nlohmann::ordered_json;

// Candidates for a reference: (namespace or "" for any, name).
std::vector<std::pair<std::string, std::string>> parse_ref(std::string_view ref) {
  std::vector<std::pair<std::string, std::string>> out;
  const size_t slash = ref.find('/');
  if (slash != std::string_view::npos) {
    out.emplace_back(std::string(ref.substr(0, slash)), std::string(ref.substr(slash + 1)));
    return out;
  }
  out.emplace_back("", std::string(ref));
  const size_t dot = ref.rfind('.');
  if (dot != std::string_view::npos)
    out.emplace_back(std::string(ref.substr(dot + 1)), std::string(ref.substr(0, dot)));
  return out;
}

// The first joined pod (by name) that a Deployment & co. `ns/name` selects.
const ProxyRecord* first_pod_of(const std::vector<const ProxyRecord*>& proxies, const model::Workload& w) {
  const std::string ns = w.meta.ns.empty() ? "default" : w.meta.ns;
  const model::Labels& selector = w.selector.empty() ? w.template_.labels : w.selector;
  const ProxyRecord* best = nullptr;
  for (const ProxyRecord* p : proxies) {
    if (p->hello.ns != ns || selector.empty() || !registry::selects(selector, p->hello.labels)) continue;
    if (!best || p->hello.name < best->hello.name) best = p;
  }
  return best;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

}  // namespace

std::string syncz_json(const std::vector<const ProxyRecord*>& proxies) {
  J out = J::array();
  for (const ProxyRecord* p : proxies) {
    out.push_back({{"id", p->id},
                   {"name", p->hello.name},
                   {"namespace", p->hello.ns},
                   {"type", p->hello.gateway ? "gateway" : "sidecar"},
                   {"ip", p->hello.ip},
                   {"sent", p->sent_version},
                   {"acked", p->acked_version},
                   {"nacked", p->nacked_version},
                   {"status", sync_status_name(p->status())},
                   {"error", p->nack_error}});
  }
  return out.dump(2, ' ', false, J::error_handler_t::replace) + "\n";
}

const ProxyRecord* find_proxy(const std::vector<const ProxyRecord*>& proxies,
                              const std::vector<model::Workload>& workloads, std::string_view ref) {
  for (const auto& [ns, name] : parse_ref(ref)) {
    for (const ProxyRecord* p : proxies) {
      if (p->hello.name == name && (ns.empty() || p->hello.ns == ns)) return p;
    }
  }
  for (const auto& [ns, name] : parse_ref(ref)) {
    for (const model::Workload& w : workloads) {
      const std::string wns = w.meta.ns.empty() ? "default" : w.meta.ns;
      if (w.meta.name != name || (!ns.empty() && wns != ns)) continue;
      if (const ProxyRecord* p = first_pod_of(proxies, w)) return p;
    }
  }
  return nullptr;
}

std::string query_param(std::string_view target, std::string_view name) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return "";
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return "";
}

}  // namespace mesh::control
