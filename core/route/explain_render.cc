// Rendering an Explanation as JSON (for scripts) and as text (for people).
#include <fmt/format.h>

#include "core/route/explain.h"

namespace mesh::route {

namespace {

using nlohmann::json;

json retries_json(const pc::RetryPolicy& r) {
  json out = {{"attempts", r.attempts}, {"retryOn", r.retry_on}};
  if (r.per_try_timeout) out["perTryTimeout"] = format_duration(*r.per_try_timeout);
  if (!r.retriable_status_codes.empty()) out["retriableStatusCodes"] = r.retriable_status_codes;
  return out;
}

json fault_json(const pc::FaultPolicy& f) {
  json out = json::object();
  if (f.delay) out["delay"] = {{"fixedDelay", format_duration(*f.delay)}, {"percent", f.delay_percent}};
  if (f.abort_status) out["abort"] = {{"httpStatus", f.abort_status}, {"percent", f.abort_percent}};
  return out;
}

json rewrite_json(const pc::RewritePolicy& r) {
  json out = json::object();
  if (!r.uri.empty()) out["uri"] = r.uri;
  if (!r.authority.empty()) out["authority"] = r.authority;
  if (r.uri_regex)
    out["uriRegexRewrite"] = {{"match", r.uri_regex->pattern()}, {"rewrite", r.uri_regex_substitution}};
  return out;
}

void forward_json(const pc::ForwardAction& f, json& out) {
  if (f.timeout) out["timeout"] = format_duration(*f.timeout);
  out["retries"] = retries_json(f.retry);
  if (f.rewrite) out["rewrite"] = rewrite_json(*f.rewrite);
  json mirrors = json::array();
  for (const pc::MirrorPolicy& m : f.mirrors)
    mirrors.push_back({{"cluster", m.cluster}, {"percent", m.percent}});
  if (!mirrors.empty()) out["mirrors"] = mirrors;
}

void action_json(const pc::Route& route, json& out) {
  if (const auto* f = std::get_if<pc::ForwardAction>(&route.action)) forward_json(*f, out);
  if (const auto* r = std::get_if<pc::RedirectAction>(&route.action)) {
    out["redirect"] = {{"scheme", r->scheme},
                       {"authority", r->authority},
                       {"port", r->port},
                       {"path", r->path},
                       {"status", r->status}};
  }
  if (const auto* d = std::get_if<pc::DirectResponseAction>(&route.action)) {
    out["directResponse"] = {{"status", d->status}, {"body", d->body}};
  }
  if (route.fault) out["fault"] = fault_json(*route.fault);
}

std::string retries_text(const pc::RetryPolicy& r) {
  if (r.attempts == 0) return "none";
  std::string out = fmt::format("{} attempts", r.attempts);
  if (r.per_try_timeout) out += ", per try " + format_duration(*r.per_try_timeout);
  if (!r.retry_on.empty()) out += fmt::format(", on {}", fmt::join(r.retry_on, ","));
  if (!r.retriable_status_codes.empty())
    out += fmt::format(" (codes {})", fmt::join(r.retriable_status_codes, ","));
  return out;
}

std::string fault_text(const pc::FaultPolicy& f) {
  std::string out;
  if (f.delay) out = fmt::format("delay {} for {}% of requests", format_duration(*f.delay), f.delay_percent);
  if (f.abort_status) {
    out += fmt::format("{}abort with HTTP {} for {}% of requests", out.empty() ? "" : "; ", f.abort_status,
                       f.abort_percent);
  }
  return out;
}

void forward_text(const pc::ForwardAction& f, std::string& out) {
  out += fmt::format("  timeout:        {}\n", f.timeout ? format_duration(*f.timeout) : "none");
  out += fmt::format("  retries:        {}\n", retries_text(f.retry));
  if (f.rewrite) {
    if (!f.rewrite->uri.empty()) out += fmt::format("  rewrite uri:    {}\n", f.rewrite->uri);
    if (!f.rewrite->authority.empty()) out += fmt::format("  rewrite host:   {}\n", f.rewrite->authority);
    if (f.rewrite->uri_regex) {
      out += fmt::format("  rewrite regex:  {} -> {}\n", f.rewrite->uri_regex->pattern(),
                         f.rewrite->uri_regex_substitution);
    }
  }
  for (const pc::MirrorPolicy& m : f.mirrors)
    out += fmt::format("  mirror:         {} ({}%)\n", m.cluster, m.percent);
}

void action_text(const pc::Route& route, std::string& out) {
  out += fmt::format("action:           {}\n", action_kind(&route));
  if (const auto* f = std::get_if<pc::ForwardAction>(&route.action)) forward_text(*f, out);
  if (const auto* r = std::get_if<pc::RedirectAction>(&route.action)) {
    out +=
        fmt::format("  redirect:       HTTP {} to scheme={} authority={} port={} path={}\n", r->status,
                    r->scheme.empty() ? "(same)" : r->scheme, r->authority.empty() ? "(same)" : r->authority,
                    r->port ? std::to_string(r->port) : "(same)", r->path.empty() ? "(same)" : r->path);
  }
  if (const auto* d = std::get_if<pc::DirectResponseAction>(&route.action)) {
    out += fmt::format("  response:       HTTP {} body \"{}\"\n", d->status, d->body);
  }
  if (route.fault) out += fmt::format("  fault:          {}\n", fault_text(*route.fault));
}

std::string or_dash(const std::string& s) {
  return s.empty() ? "-" : s;
}

}  // namespace

json to_json(const Explanation& e) {
  json out = {{"request", e.request},          {"listener", e.listener},
              {"routeTable", e.route_table},   {"virtualHost", e.virtual_host},
              {"virtualService", nullptr},     {"routeIndex", nullptr},
              {"routeName", nullptr},          {"action", std::string(action_kind(e.route))},
              {"destinations", json::array()}, {"reasons", e.reasons}};
  if (!e.route) {
    out["responseFlag"] = "NR";
    return out;
  }
  out["virtualService"] = e.route->virtual_service;
  out["routeIndex"] = e.route_index;
  out["routeName"] = e.route->name;
  out["matchIndex"] = e.match_index;
  action_json(*e.route, out);
  for (const Destination& d : e.destinations) {
    out["destinations"].push_back({{"cluster", d.cluster}, {"weight", d.weight}, {"endpoints", d.endpoints}});
    if (!d.cluster_known) out["destinations"].back()["missingCluster"] = true;
  }
  return out;
}

std::string to_text(const Explanation& e) {
  std::string out = fmt::format("request:          {}\n", e.request);
  out += fmt::format("listener:         {}\n", or_dash(e.listener));
  out += fmt::format("route table:      {}\n", or_dash(e.route_table));
  out += fmt::format("virtual host:     {}\n", or_dash(e.virtual_host));
  if (e.route) {
    out += fmt::format("VirtualService:   {}\n", or_dash(e.route->virtual_service));
    out += fmt::format("route:            #{} {}\n", e.route_index, or_dash(e.route->name));
    action_text(*e.route, out);
  } else {
    out += "action:           none (no route: 404 NR)\n";
  }
  if (!e.destinations.empty()) out += "destinations:\n";
  for (const Destination& d : e.destinations) {
    out +=
        fmt::format("  {}  weight {}{}\n", d.cluster, d.weight, d.cluster_known ? "" : "  (cluster missing)");
    if (d.cluster_known && d.endpoints.empty()) out += "    (no endpoints)\n";
    for (const std::string& ep : d.endpoints) out += fmt::format("    {}\n", ep);
  }
  if (!e.reasons.empty()) out += e.route ? "earlier routes that did not match:\n" : "why nothing matched:\n";
  for (const std::string& r : e.reasons) out += fmt::format("  {}\n", r);
  return out;
}

}  // namespace mesh::route
