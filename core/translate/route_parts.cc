#include "core/translate/route_parts.h"

#include <charconv>

namespace mesh::translate::detail {
namespace {

using SM = pc::StringMatcher;

pc::WeightedCluster destination(const Context& ctx, const model::Destination& d, const std::string& vs_ns,
                                uint32_t listen_port) {
  pc::WeightedCluster c;
  c.host = registry::resolve_host(d.host, vs_ns);
  const registry::Service* svc = ctx.registry.find(c.host);
  // Istio: an unspecified port is the service's only port, else the port the request came in on.
  c.port = d.port.number;
  if (c.port == 0 && svc && svc->ports.size() == 1) c.port = svc->ports[0].number;
  if (c.port == 0 && svc && !svc->find_port(listen_port) && !svc->ports.empty())
    c.port = svc->ports[0].number;
  if (c.port == 0) c.port = listen_port;
  c.subset = d.subset;
  c.cluster = cluster_name(c.port, c.subset, c.host);
  return c;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

pc::RetryPolicy retry_policy(const std::optional<model::HTTPRetry>& r) {
  if (!r) return default_retry();
  pc::RetryPolicy p;
  p.attempts = r->attempts > 0 ? static_cast<uint32_t>(r->attempts) : 0;
  if (p.attempts == 0) return p;  // attempts: 0 disables retries
  p.per_try_timeout = r->per_try_timeout;
  std::string item;
  bool codes = false;
  for (char ch : r->retry_on + ",") {
    if (ch != ',') {
      if (ch != ' ') item += ch;
      continue;
    }
    uint32_t code = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), code);
    if (!item.empty() && ec == std::errc() && end == item.data() + item.size()) {
      p.retriable_status_codes.push_back(code);  // numeric entries are status codes, as in Istio
      codes = true;
    } else if (!item.empty()) {
      p.retry_on.push_back(item);
    }
    item.clear();
  }
  if (p.retry_on.empty() && !codes) {
    // Istio's default conditions when retryOn is not set.
    p.retry_on = {"connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"};
    p.retriable_status_codes = {503};
  } else if (codes &&
             std::find(p.retry_on.begin(), p.retry_on.end(), "retriable-status-codes") == p.retry_on.end()) {
    p.retry_on.push_back("retriable-status-codes");
  }
  return p;
}

std::optional<pc::RewritePolicy> rewrite_policy(Context& ctx, const std::optional<model::HTTPRewrite>& r) {
  if (!r) return std::nullopt;
  pc::RewritePolicy p;
  p.uri = r->uri;
  p.authority = r->authority;
  if (r->uri_regex_rewrite) {
    p.uri_regex = ctx.regex(r->uri_regex_rewrite->match);
    p.uri_regex_substitution = r->uri_regex_rewrite->rewrite;
  }
  return p;
}

}  // namespace

pc::StringMatcher string_matcher(Context& ctx, const model::StringMatch& m, bool ignore_case) {
  SM out;
  out.value = m.value;
  out.ignore_case = ignore_case;
  switch (m.kind) {
    case model::StringMatch::Kind::kNone:
      out.kind = SM::Kind::kPresent;
      break;
    case model::StringMatch::Kind::kExact:
      out.kind = SM::Kind::kExact;
      break;
    case model::StringMatch::Kind::kPrefix:
      out.kind = SM::Kind::kPrefix;
      break;
    case model::StringMatch::Kind::kRegex:
      out.kind = SM::Kind::kRegex;
      out.regex = ctx.regex(ignore_case ? "(?i)" + m.value : m.value);
      break;
  }
  return out;
}

pc::RouteMatch convert_match(Context& ctx, const model::HTTPMatchRequest& m) {
  pc::RouteMatch out;
  out.name = m.name;
  if (m.uri) out.uri = string_matcher(ctx, *m.uri, m.ignore_uri_case);
  if (m.scheme) out.scheme = string_matcher(ctx, *m.scheme);
  if (m.method) out.method = string_matcher(ctx, *m.method);
  if (m.authority) out.authority = string_matcher(ctx, *m.authority);
  for (const auto& [name, match] : m.headers)
    out.headers.push_back({name, string_matcher(ctx, match), false});
  for (const auto& [name, match] : m.without_headers) {
    out.headers.push_back({name, string_matcher(ctx, match), true});
  }
  for (const auto& [name, match] : m.query_params)
    out.query_params.push_back({name, string_matcher(ctx, match)});
  out.port = m.port;
  return out;
}

pc::HeaderOps header_ops(const model::HeaderOperations& ops) {
  return pc::HeaderOps{ops.set, ops.add, ops.remove};
}

pc::RetryPolicy default_retry() {
  pc::RetryPolicy p;
  p.attempts = 2;
  p.retry_on = {"connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"};
  p.retriable_status_codes = {503};
  return p;
}

pc::ForwardAction forward_action(Context& ctx, const model::HTTPRoute& http, const std::string& vs_ns,
                                 uint32_t listen_port) {
  pc::ForwardAction f;
  for (const model::HTTPRouteDestination& d : http.route) {
    pc::WeightedCluster c = destination(ctx, d.destination, vs_ns, listen_port);
    // A single destination without weight takes all traffic.
    c.weight = (http.route.size() == 1 && d.weight == 0) ? 100 : static_cast<uint32_t>(std::max(d.weight, 0));
    c.request_headers = header_ops(d.headers.request);
    c.response_headers = header_ops(d.headers.response);
    f.total_weight += c.weight;
    f.clusters.push_back(std::move(c));
  }
  f.timeout = http.timeout;
  f.retry = retry_policy(http.retries);
  f.rewrite = rewrite_policy(ctx, http.rewrite);
  for (const model::HTTPMirrorPolicy& m : http.mirrors) {
    pc::WeightedCluster c = destination(ctx, m.destination, vs_ns, listen_port);
    f.mirrors.push_back(pc::MirrorPolicy{c.cluster, c.host, m.percentage.value_or(100.0)});
  }
  return f;
}

pc::RedirectAction redirect_action(const model::HTTPRedirect& r) {
  pc::RedirectAction a;
  a.scheme = r.scheme;
  a.authority = r.authority;
  a.port = r.port;
  a.derive_port = r.derive_port;
  a.path = r.uri;
  a.status = r.redirect_code ? r.redirect_code : 301;
  return a;
}

pc::FaultPolicy fault_policy(const model::HTTPFaultInjection& f) {
  pc::FaultPolicy p;
  if (f.delay) {
    p.delay = f.delay->fixed_delay ? f.delay->fixed_delay : f.delay->exponential_delay;
    p.delay_percent = f.delay->percentage;
  }
  if (f.abort && f.abort->http_status) {
    p.abort_status = f.abort->http_status;
    p.abort_percent = f.abort->percentage;
  }
  return p;
}

pc::CorsPolicy cors_policy(Context& ctx, const model::CorsPolicy& c) {
  pc::CorsPolicy p;
  for (const model::StringMatch& o : c.allow_origins) p.allow_origins.push_back(string_matcher(ctx, o));
  p.allow_methods = join(c.allow_methods);
  p.allow_headers = join(c.allow_headers);
  p.expose_headers = join(c.expose_headers);
  if (c.max_age)
    p.max_age = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*c.max_age).count());
  p.allow_credentials = c.allow_credentials;
  p.forward_unmatched_preflights = c.unmatched_preflights != model::CorsPolicy::UnmatchedPreflights::kIgnore;
  return p;
}

}  // namespace mesh::translate::detail
