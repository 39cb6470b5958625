// Decoding route tables: matchers (regexes recompiled), actions and policies.
#include "core/xds/codec_internal.h"

namespace mesh::xds {
namespace {

const char* const kMatcherKinds[] = {"exact", "prefix", "regex", "present"};
const char* const kDerivePorts[] = {"", "FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"};

pc::StringMatcher read_matcher(JsonIn& in, const Json& j) {
  pc::StringMatcher m;
  in.get_enum(j, "kind", kMatcherKinds, m.kind);
  in.get(j, "value", m.value);
  in.get(j, "ignoreCase", m.ignore_case);
  if (in.ok() && m.kind == pc::StringMatcher::Kind::kRegex) {
    auto re = std::make_shared<const RE2>(m.value, RE2::Quiet);
    if (!re->ok()) in.fail("value", "bad regex: " + re->error());
    m.regex = std::move(re);
  }
  return m;
}

void read_opt_matcher(JsonIn& in, const Json& j, const char* key, std::optional<pc::StringMatcher>& out) {
  if (const Json* v = in.object(j, key)) {
    auto s = in.enter(key);
    out = read_matcher(in, *v);
  }
}

template <class Fn>
void each(JsonIn& in, const Json& j, const char* key, Fn fn) {
  const Json* list = in.array(j, key);
  for (size_t i = 0; list && in.ok() && i < list->size(); ++i) {
    auto s = in.enter(key, i);
    fn((*list)[i]);
  }
}

pc::RouteMatch read_match(JsonIn& in, const Json& j) {
  pc::RouteMatch m;
  in.get(j, "name", m.name);
  read_opt_matcher(in, j, "uri", m.uri);
  read_opt_matcher(in, j, "scheme", m.scheme);
  read_opt_matcher(in, j, "method", m.method);
  read_opt_matcher(in, j, "authority", m.authority);
  each(in, j, "headers", [&](const Json& h) {
    pc::HeaderMatcher hm;
    in.get(h, "name", hm.name);
    in.get(h, "invert", hm.invert);
    if (const Json* mj = in.object(h, "match")) hm.match = read_matcher(in, *mj);
    m.headers.push_back(std::move(hm));
  });
  each(in, j, "queryParams", [&](const Json& q) {
    pc::QueryParamMatcher qm;
    in.get(q, "name", qm.name);
    if (const Json* mj = in.object(q, "match")) qm.match = read_matcher(in, *mj);
    m.query_params.push_back(std::move(qm));
  });
  in.get(j, "port", m.port);
  return m;
}

void read_pairs(JsonIn& in, const Json& j, const char* key, std::vector<std::pair<std::string, std::string>>& out) {
  each(in, j, key, [&](const Json& p) {
    std::string name, value;
    in.get(p, "name", name);
    in.get(p, "value", value);
    out.emplace_back(std::move(name), std::move(value));
  });
}

void read_retry(JsonIn& in, const Json& j, pc::RetryPolicy& r) {
  auto s = in.enter("retry");
  in.get(j, "attempts", r.attempts);
  in.get(j, "perTryTimeout", r.per_try_timeout);
  in.get(j, "retryOn", r.retry_on);
  in.get(j, "retriableStatusCodes", r.retriable_status_codes);
}

void read_rewrite(JsonIn& in, const Json& j, pc::RewritePolicy& r) {
  auto s = in.enter("rewrite");
  in.get(j, "uri", r.uri);
  in.get(j, "authority", r.authority);
  in.get(j, "uriRegexSubstitution", r.uri_regex_substitution);
  std::string pattern;
  in.get(j, "uriRegex", pattern);
  if (!in.ok() || !j.contains("uriRegex") || j["uriRegex"].is_null()) return;
  auto re = std::make_shared<const RE2>(pattern, RE2::Quiet);
  if (!re->ok()) in.fail("uriRegex", "bad regex: " + re->error());
  r.uri_regex = std::move(re);
}

}  // namespace

pc::WeightedCluster read_weighted_cluster(JsonIn& in, const Json& c) {
  pc::WeightedCluster w;
  in.get(c, "cluster", w.cluster);
  in.get(c, "host", w.host);
  in.get(c, "port", w.port);
  in.get(c, "subset", w.subset);
  in.get(c, "weight", w.weight);
  read_header_ops(in, c, "requestHeaders", w.request_headers);
  read_header_ops(in, c, "responseHeaders", w.response_headers);
  return w;
}

namespace {

pc::ForwardAction read_forward(JsonIn& in, const Json& j) {
  pc::ForwardAction f;
  each(in, j, "clusters", [&](const Json& c) { f.clusters.push_back(read_weighted_cluster(in, c)); });
  in.get(j, "totalWeight", f.total_weight);
  in.get(j, "timeout", f.timeout);
  if (const Json* r = in.object(j, "retry")) read_retry(in, *r, f.retry);
  if (const Json* r = in.object(j, "rewrite")) read_rewrite(in, *r, f.rewrite.emplace());
  each(in, j, "mirrors", [&](const Json& m) {
    pc::MirrorPolicy mp;
    in.get(m, "cluster", mp.cluster);
    in.get(m, "host", mp.host);
    in.get(m, "percent", mp.percent);
    f.mirrors.push_back(std::move(mp));
  });
  return f;
}

void read_action(JsonIn& in, const Json& j, pc::Route& r) {
  auto s = in.enter("action");
  if (const Json* f = in.object(j, "forward")) {
    auto s2 = in.enter("forward");
    r.action = read_forward(in, *f);
  } else if (const Json* d = in.object(j, "redirect")) {
    auto s2 = in.enter("redirect");
    pc::RedirectAction a;
    in.get(*d, "scheme", a.scheme);
    in.get(*d, "authority", a.authority);
    in.get(*d, "port", a.port);
    in.get_enum(*d, "derivePort", kDerivePorts, a.derive_port);
    in.get(*d, "path", a.path);
    in.get(*d, "status", a.status);
    r.action = a;
  } else if (const Json* d = in.object(j, "directResponse")) {
    pc::DirectResponseAction a;
    in.get(*d, "status", a.status);
    in.get(*d, "body", a.body);
    r.action = a;
  } else {
    in.fail("", "expected forward, redirect or directResponse");
  }
}

void read_fault(JsonIn& in, const Json& j, pc::FaultPolicy& f) {
  auto s = in.enter("fault");
  in.get(j, "delay", f.delay);
  in.get(j, "delayPercent", f.delay_percent);
  in.get(j, "abortStatus", f.abort_status);
  in.get(j, "abortPercent", f.abort_percent);
}

void read_cors(JsonIn& in, const Json& j, pc::CorsPolicy& c) {
  auto s = in.enter("cors");
  each(in, j, "allowOrigins", [&](const Json& o) { c.allow_origins.push_back(read_matcher(in, o)); });
  in.get(j, "allowMethods", c.allow_methods);
  in.get(j, "allowHeaders", c.allow_headers);
  in.get(j, "exposeHeaders", c.expose_headers);
  in.get(j, "maxAge", c.max_age);
  in.get(j, "allowCredentials", c.allow_credentials);
  in.get(j, "forwardUnmatchedPreflights", c.forward_unmatched_preflights);
}

pc::Route read_route(JsonIn& in, const Json& j) {
  pc::Route r;
  in.get(j, "name", r.name);
  in.get(j, "virtualService", r.virtual_service);
  in.get(j, "httpRouteIndex", r.http_route_index);
  each(in, j, "matches", [&](const Json& m) { r.matches.push_back(read_match(in, m)); });
  if (const Json* a = in.object(j, "action")) read_action(in, *a, r);
  if (const Json* f = in.object(j, "fault")) read_fault(in, *f, r.fault.emplace());
  if (const Json* c = in.object(j, "cors")) read_cors(in, *c, r.cors.emplace());
  read_header_ops(in, j, "requestHeaders", r.request_headers);
  read_header_ops(in, j, "responseHeaders", r.response_headers);
  return r;
}

}  // namespace

void read_header_ops(JsonIn& in, const Json& j, const char* key, pc::HeaderOps& out) {
  const Json* h = in.object(j, key);
  if (!h) return;
  auto s = in.enter(key);
  read_pairs(in, *h, "set", out.set);
  read_pairs(in, *h, "add", out.add);
  in.get(*h, "remove", out.remove);
}

void read_route_table(JsonIn& in, const Json& j, pc::RouteTable& out) {
  in.get(j, "name", out.name);
  each(in, j, "virtualHosts", [&](const Json& v) {
    pc::VirtualHost vh;
    in.get(v, "name", vh.name);
    in.get(v, "domains", vh.domains);
    each(in, v, "routes", [&](const Json& r) { vh.routes.push_back(read_route(in, r)); });
    out.virtual_hosts.push_back(std::move(vh));
  });
  out.index();
}

}  // namespace mesh::xds
