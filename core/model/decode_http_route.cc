// VirtualService http[]: matches, destinations, mirrors and the rules that
// tie an HTTPRoute's fields together.
#include <fmt/format.h>

#include "core/model/decode_networking_common.h"

namespace mesh::model {

// Element readers for the list template in decode.h (found by argument-dependent lookup).
bool read(DecodeContext& c, const yaml::Node& n, HTTPMirrorPolicy& out);
bool read(DecodeContext& c, const yaml::Node& n, HTTPRouteDestination& out);

namespace {

enum class HeaderMapKind { kHeaders, kWithoutHeaders, kQueryParams };

void read_match_map(DecodeContext& c, const yaml::Node& n,
                    std::vector<std::pair<std::string, StringMatch>>& out, HeaderMapKind kind,
                    const HttpRouteContext& ctx) {
  if (!n.is_map()) {
    c.error(n, fmt::format("expected a map, got {}", type_name(n)));
    return;
  }
  StringMatchRules rules;
  rules.star_is_presence = kind == HeaderMapKind::kWithoutHeaders;
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string key;
    if (!read(c, it->first, key)) continue;
    // Header names are case-insensitive; query parameters are not.
    if (kind != HeaderMapKind::kQueryParams && !is_jwt_claim_header(key)) key = to_lower(key);
    FieldScope scope(c, key);
    if (kind != HeaderMapKind::kQueryParams) {
      if (!is_match_header_name(key)) {
        c.error(it->first, fmt::format("\"{}\" is not a valid header name", key));
      } else if (is_jwt_claim_header(key) && !ctx.gateway_bound) {
        c.error(it->first, "JWT claim routing is only supported for virtual services bound to gateways");
      }
    }
    StringMatch match;
    if (it->second.is_null()) {
      c.error(it->second, "a match value must not be null (use {} to match presence)");
    } else {
      read_string_match(c, it->second, match, rules);
    }
    out.emplace_back(std::move(key), std::move(match));
  }
}

void read_match_request(DecodeContext& c, const yaml::Node& n, HTTPMatchRequest& m,
                        const HttpRouteContext& ctx) {
  const auto match_field = [&](std::optional<StringMatch>& field, bool allow_empty_prefix) {
    return [&c, &field, allow_empty_prefix](const yaml::Node& v) {
      field.emplace();
      StringMatchRules rules;
      rules.allow_empty_prefix = allow_empty_prefix;
      read_string_match(c, v, *field, rules);
    };
  };
  read_fields(
      c, n,
      {
          {"name", [&](const yaml::Node& v) { read(c, v, m.name); }},
          {"uri", match_field(m.uri, true)},
          {"scheme", match_field(m.scheme, false)},
          {"method", match_field(m.method, false)},
          {"authority", match_field(m.authority, false)},
          {"headers",
           [&](const yaml::Node& v) { read_match_map(c, v, m.headers, HeaderMapKind::kHeaders, ctx); }},
          {"withoutHeaders",
           [&](const yaml::Node& v) {
             read_match_map(c, v, m.without_headers, HeaderMapKind::kWithoutHeaders, ctx);
           }},
          {"queryParams",
           [&](const yaml::Node& v) {
             read_match_map(c, v, m.query_params, HeaderMapKind::kQueryParams, ctx);
           }},
          {"port", [&](const yaml::Node& v) { read_port(c, v, m.port); }},
          {"sourceLabels",
           [&](const yaml::Node& v) {
             if (read(c, v, m.source_labels)) check_labels(c, v);
           }},
          {"gateways",
           [&](const yaml::Node& v) {
             read_strings(c, v, m.gateways,
                          [&](const yaml::Node& at, const std::string& g) { check_gateway_name(c, at, g); });
           }},
          {"ignoreUriCase", [&](const yaml::Node& v) { read(c, v, m.ignore_uri_case); }},
          {"sourceNamespace",
           [&](const yaml::Node& v) {
             if (read(c, v, m.source_namespace) && !is_dns1123_label(m.source_namespace)) {
               c.error(v, fmt::format("sourceNamespace \"{}\" is not a valid namespace name",
                                      m.source_namespace));
             }
           }},
          {"statPrefix", [&](const yaml::Node& v) { read(c, v, m.stat_prefix); }},
      });
}

bool read_route_destination(DecodeContext& c, const yaml::Node& n, HTTPRouteDestination& out) {
  read_with_destination(c, n, out.destination,
                        {
                            {"weight", [&](const yaml::Node& v) { read_weight(c, v, out.weight); }},
                            {"headers", [&](const yaml::Node& v) { read_headers(c, v, out.headers); }},
                        });
  return true;
}

// `mirror` (+ `mirrorPercentage` or the deprecated `mirrorPercent`) and `mirrors`.
struct MirrorFields {
  std::optional<Destination> mirror;
  std::optional<double> percentage;
  std::optional<uint32_t> legacy_percent;
};

void read_legacy_mirror_percent(DecodeContext& c, const yaml::Node& v, MirrorFields& m) {
  uint32_t value = 0;
  if (!read(c, v, value)) return;
  c.warning(v, "mirrorPercent is deprecated; use mirrorPercentage");
  if (value > 100) c.error(v, fmt::format("mirror percentage {} must be between 0 and 100", value));
  m.legacy_percent = value;
}

void read_mirror_policy(DecodeContext& c, const yaml::Node& n, HTTPMirrorPolicy& out) {
  read_with_destination(c, n, out.destination,
                        {
                            {"percentage",
                             [&](const yaml::Node& v) {
                               double value = 0;
                               read_percent(c, v, value);
                               out.percentage = value;
                             }},
                        });
}

void read_delegate(DecodeContext& c, const yaml::Node& n, Delegate& out) {
  read_fields(c, n,
              {
                  {"name", [&](const yaml::Node& v) { read(c, v, out.name); }},
                  {"namespace",
                   [&](const yaml::Node& v) {
                     if (read(c, v, out.ns) && !is_dns1123_label(out.ns)) {
                       c.error(v, fmt::format("namespace \"{}\" is not a valid namespace name", out.ns));
                     }
                   }},
              });
  if (n.is_map() && out.name.empty()) c.error_field(n, "name", "required field is missing");
}

// Route, redirect, directResponse and delegate exclude each other; fault and
// rewrite make no sense without a forwarded request.
void check_route_conflicts(DecodeContext& c, const yaml::Node& n, const HTTPRoute& r,
                           const HttpRouteContext& ctx, bool has_route) {
  const auto at = [&](std::string_view field, std::string message) {
    c.error_field(child_or_self(n, field), field, std::move(message));
  };
  if (r.delegate && ctx.delegate_vs) at("delegate", "a delegate virtual service cannot delegate again");
  if (r.delegate && !ctx.delegate_vs) {
    if (r.redirect) at("redirect", "a route that delegates cannot also redirect");
    if (has_route) at("route", "a route that delegates cannot also have destinations");
    if (r.direct_response) at("directResponse", "a route that delegates cannot also respond directly");
    return;
  }
  if (r.redirect) {
    if (has_route) at("redirect", "redirect cannot be combined with route");
    if (r.fault) at("fault", "fault cannot be combined with redirect");
    if (r.rewrite) at("rewrite", "rewrite cannot be combined with redirect");
    if (r.direct_response) at("directResponse", "directResponse cannot be combined with redirect");
  } else if (r.direct_response) {
    if (has_route) at("directResponse", "directResponse cannot be combined with route");
    if (r.fault) at("fault", "fault cannot be combined with directResponse");
    if (r.rewrite) at("rewrite", "rewrite cannot be combined with directResponse");
  } else if (!has_route && !r.delegate) {
    c.error(n, "one of route, redirect, directResponse or delegate is required");
  }
}

// The authority may be rewritten in one place only.
void check_authority_rewrite(DecodeContext& c, const yaml::Node& n, const HTTPRoute& r) {
  int sources = r.rewrite && !r.rewrite->authority.empty() ? 1 : 0;
  for (const auto* ops : {&r.headers.request.set, &r.headers.request.add}) {
    for (const auto& [name, value] : *ops) sources += name == ":authority" || name == "host" ? 1 : 0;
  }
  if (sources > 1) {
    c.error_field(child_or_self(n, "headers"), "headers",
                  "the authority is rewritten more than once (rewrite.authority and request headers)");
  }
}

void fold_mirrors(DecodeContext& c, const yaml::Node& n, MirrorFields& m, HTTPRoute& out) {
  if (m.mirror && !out.mirrors.empty()) {
    c.error_field(child_or_self(n, "mirrors"), "mirrors", "mirror and mirrors cannot both be set");
  }
  if (!m.mirror) return;
  HTTPMirrorPolicy policy;
  policy.destination = std::move(*m.mirror);
  if (m.percentage)
    policy.percentage = m.percentage;
  else if (m.legacy_percent)
    policy.percentage = static_cast<double>(*m.legacy_percent);
  out.mirrors.insert(out.mirrors.begin(), std::move(policy));
}

}  // namespace

bool read(DecodeContext& c, const yaml::Node& n, HTTPMirrorPolicy& out) {
  read_mirror_policy(c, n, out);
  return true;
}

bool read(DecodeContext& c, const yaml::Node& n, HTTPRouteDestination& out) {
  return read_route_destination(c, n, out);
}

void read_http_route(DecodeContext& c, const yaml::Node& n, HTTPRoute& out, const HttpRouteContext& ctx) {
  out.pos = c.pos(n);
  MirrorFields mirror;
  const auto opt = [](auto& field) -> auto& {
    return field.emplace();
  };
  if (!read_fields(
          c, n,
          {
              {"name", [&](const yaml::Node& v) { read(c, v, out.name); }},
              {"match",
               [&](const yaml::Node& v) {
                 read_each(c, v, out.match, [&](const yaml::Node& m, HTTPMatchRequest& match) {
                   read_match_request(c, m, match, ctx);
                 });
               }},
              {"route", [&](const yaml::Node& v) { read_weighted_destinations(c, v, out.route); }},
              {"redirect", [&](const yaml::Node& v) { read_redirect(c, v, opt(out.redirect)); }},
              {"directResponse",
               [&](const yaml::Node& v) { read_direct_response(c, v, opt(out.direct_response)); }},
              {"delegate", [&](const yaml::Node& v) { read_delegate(c, v, opt(out.delegate)); }},
              {"rewrite", [&](const yaml::Node& v) { read_rewrite(c, v, opt(out.rewrite)); }},
              {"timeout", [&](const yaml::Node& v) { read_ms_duration(c, v, out.timeout); }},
              {"retries", [&](const yaml::Node& v) { read_retries(c, v, opt(out.retries)); }},
              {"fault", [&](const yaml::Node& v) { read_fault(c, v, opt(out.fault)); }},
              {"mirror", [&](const yaml::Node& v) { read_destination(c, v, opt(mirror.mirror)); }},
              {"mirrors", [&](const yaml::Node& v) { read(c, v, out.mirrors); }},
              {"mirrorPercentage", [&](const yaml::Node& v) { read_percent(c, v, opt(mirror.percentage)); }},
              {"mirrorPercent", [&](const yaml::Node& v) { read_legacy_mirror_percent(c, v, mirror); }},
              {"mirror_percent", [&](const yaml::Node& v) { read_legacy_mirror_percent(c, v, mirror); }},
              {"corsPolicy", [&](const yaml::Node& v) { read_cors_policy(c, v, opt(out.cors_policy)); }},
              {"headers", [&](const yaml::Node& v) { read_headers(c, v, out.headers); }},
          })) {
    return;
  }
  check_route_conflicts(c, n, out, ctx, !out.route.empty());
  check_authority_rewrite(c, n, out);
  fold_mirrors(c, n, mirror, out);
}

}  // namespace mesh::model
