// One VirtualService's HTTP routes for one binding (the mesh on a port, or a
// gateway server port). Match blocks that cannot apply to this proxy (gateways,
// sourceLabels, sourceNamespace, port) are dropped here, so the data plane only
// matches on request properties. Delegate VirtualServices are inlined.
#include <algorithm>
#include <cctype>

#include "core/translate/context.h"
#include "core/translate/route_parts.h"

namespace mesh::translate::detail {
namespace {

const std::string& ns_of(const model::Meta& m) {
  static const std::string kDefault = "default";
  return m.ns.empty() ? kDefault : m.ns;
}

bool gateway_listed(const std::vector<std::string>& gateways, std::string_view vs_ns, const Binding& b) {
  for (const std::string& g : gateways) {
    if (b.gateway.empty() ? g == "mesh" : g == b.gateway) return true;
    if (!b.gateway.empty() && g.find('/') == std::string::npos && std::string(vs_ns) + "/" + g == b.gateway) {
      return true;
    }
  }
  return false;
}

bool block_applies(const Context& ctx, const model::HTTPMatchRequest& m, std::string_view vs_ns,
                   const Binding& b) {
  if (!m.gateways.empty() && !gateway_listed(m.gateways, vs_ns, b)) return false;
  if (!registry::selects(m.source_labels, ctx.proxy.labels)) return false;
  if (!m.source_namespace.empty() && m.source_namespace != ctx.proxy.ns) return false;
  return m.port == 0 || m.port == b.port;
}

// The blocks of `http` that apply; `all_dropped` when it had blocks and none applies.
std::vector<pc::RouteMatch> applicable_matches(Context& ctx, const model::HTTPRoute& http,
                                               std::string_view vs_ns, const Binding& b, bool& all_dropped) {
  std::vector<pc::RouteMatch> out;
  for (const model::HTTPMatchRequest& m : http.match) {
    if (block_applies(ctx, m, vs_ns, b)) out.push_back(convert_match(ctx, m));
  }
  all_dropped = !http.match.empty() && out.empty();
  return out;
}

bool same_matcher(const pc::StringMatcher& a, const pc::StringMatcher& b) {
  return a.kind == b.kind && a.value == b.value && a.ignore_case == b.ignore_case;
}

// A delegate's uri must stay inside the root's: Istio rejects the pair otherwise.
bool uri_within(const pc::StringMatcher& root, const pc::StringMatcher& d) {
  using K = pc::StringMatcher::Kind;
  if (root.kind == K::kPrefix)
    return (d.kind == K::kPrefix || d.kind == K::kExact) && d.value.starts_with(root.value);
  return same_matcher(root, d);
}

void merge_optional(std::optional<pc::StringMatcher>& into, const std::optional<pc::StringMatcher>& root,
                    bool& ok) {
  if (!root) return;
  if (!into) {
    into = root;
  } else if (!same_matcher(*into, *root)) {
    ok = false;
  }
}

std::optional<pc::RouteMatch> merge_match(const pc::RouteMatch& root, pc::RouteMatch d) {
  bool ok = true;
  if (root.uri && d.uri && !uri_within(*root.uri, *d.uri)) return std::nullopt;
  if (!d.uri) d.uri = root.uri;
  merge_optional(d.scheme, root.scheme, ok);
  merge_optional(d.method, root.method, ok);
  merge_optional(d.authority, root.authority, ok);
  for (const pc::HeaderMatcher& h : root.headers) {
    auto same = [&](const pc::HeaderMatcher& x) { return x.name == h.name && x.invert == h.invert; };
    auto it = std::find_if(d.headers.begin(), d.headers.end(), same);
    if (it == d.headers.end()) {
      d.headers.push_back(h);
    } else if (!same_matcher(it->match, h.match)) {
      ok = false;
    }
  }
  for (const pc::QueryParamMatcher& q : root.query_params) d.query_params.push_back(q);
  if (d.port == 0) d.port = root.port;
  if (d.name.empty()) d.name = root.name;
  if (!ok) return std::nullopt;
  return d;
}

std::vector<pc::RouteMatch> merge_matches(const std::vector<pc::RouteMatch>& root,
                                          const std::vector<pc::RouteMatch>& delegate) {
  if (root.empty()) return delegate;
  if (delegate.empty()) return root;
  std::vector<pc::RouteMatch> out;
  for (const pc::RouteMatch& r : root) {
    for (const pc::RouteMatch& d : delegate) {
      if (auto m = merge_match(r, d)) out.push_back(std::move(*m));
    }
  }
  return out;
}

pc::Route convert_route(Context& ctx, const model::VirtualService& vs, size_t index,
                        std::vector<pc::RouteMatch> matches, uint32_t port) {
  const model::HTTPRoute& http = vs.http[index];
  const std::string& ns = ns_of(vs.meta);
  pc::Route r;
  r.name = http.name;
  r.matches = std::move(matches);
  r.virtual_service = vs.meta.name + "." + ns;
  r.http_route_index = static_cast<int>(index);
  r.request_headers = header_ops(http.headers.request);
  r.response_headers = header_ops(http.headers.response);
  if (http.redirect) {
    r.action = redirect_action(*http.redirect);
  } else if (http.direct_response) {
    r.action = pc::DirectResponseAction{http.direct_response->status, http.direct_response->body};
  } else {
    r.action = forward_action(ctx, http, ns, port);
  }
  if (http.fault) r.fault = fault_policy(*http.fault);
  if (http.cors_policy) r.cors = cors_policy(ctx, *http.cors_policy);
  return r;
}

void inline_delegate(Context& ctx, const model::VirtualService& root, const model::HTTPRoute& http,
                     const std::vector<pc::RouteMatch>& root_matches, const Binding& b,
                     std::vector<pc::Route>& out) {
  const std::string ns = http.delegate->ns.empty() ? ns_of(root.meta) : http.delegate->ns;
  auto it = ctx.vs_by_name.find(ns + "/" + http.delegate->name);
  if (it == ctx.vs_by_name.end()) return;  // a missing delegate contributes nothing, like Istio
  const model::VirtualService& d = ctx.config.virtual_services[it->second];
  if (!d.hosts.empty()) return;  // only host-less VirtualServices can be delegates
  for (size_t j = 0; j < d.http.size(); ++j) {
    if (d.http[j].delegate) continue;  // one level only
    bool all_dropped = false;
    std::vector<pc::RouteMatch> own = applicable_matches(ctx, d.http[j], ns, b, all_dropped);
    if (all_dropped) continue;
    std::vector<pc::RouteMatch> merged = merge_matches(root_matches, own);
    if (merged.empty() && !root_matches.empty() && !own.empty()) continue;
    out.push_back(convert_route(ctx, d, j, std::move(merged), b.port));
  }
}

}  // namespace

bool vs_bound_to(const model::VirtualService& vs, const Binding& b) {
  if (vs.gateways.empty()) return b.gateway.empty();
  return gateway_listed(vs.gateways, ns_of(vs.meta), b);
}

std::vector<pc::Route> build_vs_routes(Context& ctx, const model::VirtualService& vs, const Binding& b) {
  std::vector<pc::Route> out;
  out.reserve(vs.http.size());
  const std::string& ns = ns_of(vs.meta);
  for (size_t i = 0; i < vs.http.size(); ++i) {
    const model::HTTPRoute& http = vs.http[i];
    bool all_dropped = false;
    std::vector<pc::RouteMatch> matches = applicable_matches(ctx, http, ns, b, all_dropped);
    if (all_dropped) continue;
    if (http.delegate) {
      inline_delegate(ctx, vs, http, matches, b, out);
    } else {
      out.push_back(convert_route(ctx, vs, i, std::move(matches), b.port));
    }
  }
  return out;
}

pc::Route default_route(const registry::Service& service, uint32_t port) {
  pc::Route r;
  r.name = "default";
  pc::RouteMatch all;
  all.uri = pc::StringMatcher{pc::StringMatcher::Kind::kPrefix, "/", nullptr, false};
  r.matches.push_back(std::move(all));
  pc::ForwardAction f;
  pc::WeightedCluster c;
  c.cluster = cluster_name(port, "", service.hostname);
  c.host = service.hostname;
  c.port = port;
  c.weight = 100;
  f.clusters.push_back(std::move(c));
  f.total_weight = 100;
  f.retry = default_retry();
  r.action = std::move(f);
  return r;
}

}  // namespace mesh::translate::detail
