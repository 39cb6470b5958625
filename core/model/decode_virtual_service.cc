// VirtualService: hosts, gateways, exportTo, and the tls/tcp routes. HTTP
// routes are in decode_http_route*.cc.
#include <fmt/format.h>

#include "core/model/decode_kinds.h"
#include "core/model/decode_networking_common.h"

namespace mesh::model {

// Element readers for the list template in decode.h (found by argument-dependent lookup).
bool read(DecodeContext& c, const yaml::Node& n, RouteDestination& out);

namespace {

struct VsContext {
  const VirtualService& vs;
  bool delegate = false;       // no hosts: only usable through a delegating route
  bool gateway_bound = false;  // gateways set and "mesh" not among them
};

bool applies_only_to_gateways(const std::vector<std::string>& gateways) {
  if (gateways.empty()) return false;
  for (const std::string& g : gateways) {
    if (g == "mesh") return false;
  }
  return true;
}

void check_vs_host(DecodeContext& c, const yaml::Node& at, const std::string& host, bool gateway_bound) {
  // Gateway-bound TLS routes may name the mesh's generated SNI hosts.
  if (gateway_bound && host.starts_with("outbound_.")) return;
  if (std::string problem = check_wildcard_domain(host); !problem.empty()) {
    if (!is_ip_address(host)) c.error(at, problem);
  } else if (!gateway_bound && host == "*") {
    c.error(at, "host \"*\" is not allowed for a virtual service that applies to the mesh");
  }
}

void check_duplicate_hosts(DecodeContext& c, const yaml::Node& list, const std::vector<std::string>& hosts) {
  for (size_t i = 0; i < hosts.size(); ++i) {
    for (size_t j = i + 1; j < hosts.size(); ++j) {
      if (!hosts_overlap(hosts[i], hosts[j])) continue;
      FieldScope scope(c, j);
      c.error(list[j], fmt::format("host \"{}\" overlaps host \"{}\"", hosts[j], hosts[i]));
    }
  }
}

void check_subnet(DecodeContext& c, const yaml::Node& at, const std::string& subnet) {
  if (std::string problem = check_ip_subnet(subnet); !problem.empty()) c.error(at, problem);
}

void read_gateway_list(DecodeContext& c, const yaml::Node& v, std::vector<std::string>& out) {
  read_strings(c, v, out, [&](const yaml::Node& at, const std::string& g) { check_gateway_name(c, at, g); });
}

void read_source_namespace(DecodeContext& c, const yaml::Node& v, std::string& out) {
  if (read(c, v, out) && !is_dns1123_label(out)) {
    c.error(v, fmt::format("sourceNamespace \"{}\" is not a valid namespace name", out));
  }
}

void read_tls_match(DecodeContext& c, const yaml::Node& n, TLSMatchAttributes& m, const VsContext& ctx) {
  read_fields(
      c, n,
      {
          {"sniHosts",
           [&](const yaml::Node& v) {
             read_strings(c, v, m.sni_hosts, [&](const yaml::Node& at, const std::string& sni) {
               if (ctx.gateway_bound && sni.starts_with("outbound_.")) return;
               if (std::string problem = check_wildcard_domain(sni); !problem.empty()) {
                 if (is_ip_address(sni))
                   c.warning(at, "SNI does not carry IP addresses; most clients will not match this");
                 else
                   c.error(at, problem);
                 return;
               }
               for (const std::string& host : ctx.vs.hosts) {
                 if (host_within(sni, host)) return;
               }
               c.error(at,
                       fmt::format("SNI host \"{}\" is not within any of the virtual service's hosts", sni));
             });
           }},
          {"destinationSubnets",
           [&](const yaml::Node& v) {
             read_strings(c, v, m.destination_subnets,
                          [&](const yaml::Node& at, const std::string& s) { check_subnet(c, at, s); });
           }},
          {"port", [&](const yaml::Node& v) { read_port(c, v, m.port); }},
          {"sourceLabels",
           [&](const yaml::Node& v) {
             if (read(c, v, m.source_labels)) check_labels(c, v);
           }},
          {"gateways", [&](const yaml::Node& v) { read_gateway_list(c, v, m.gateways); }},
          {"sourceNamespace", [&](const yaml::Node& v) { read_source_namespace(c, v, m.source_namespace); }},
      });
  if (n.is_map() && m.sni_hosts.empty())
    c.error_field(n, "sniHosts", "a TLS match needs at least one SNI host");
}

void read_l4_match(DecodeContext& c, const yaml::Node& n, L4MatchAttributes& m) {
  read_fields(
      c, n,
      {
          {"destinationSubnets",
           [&](const yaml::Node& v) {
             read_strings(c, v, m.destination_subnets,
                          [&](const yaml::Node& at, const std::string& s) { check_subnet(c, at, s); });
           }},
          {"port", [&](const yaml::Node& v) { read_port(c, v, m.port); }},
          {"sourceSubnet",
           [&](const yaml::Node& v) {
             if (read(c, v, m.source_subnet)) check_subnet(c, v, m.source_subnet);
           }},
          {"sourceLabels",
           [&](const yaml::Node& v) {
             if (read(c, v, m.source_labels)) check_labels(c, v);
           }},
          {"gateways", [&](const yaml::Node& v) { read_gateway_list(c, v, m.gateways); }},
          {"sourceNamespace", [&](const yaml::Node& v) { read_source_namespace(c, v, m.source_namespace); }},
      });
}

void read_tls_route(DecodeContext& c, const yaml::Node& n, TLSRoute& r, const VsContext& ctx) {
  read_fields(c, n,
              {
                  {"match",
                   [&](const yaml::Node& v) {
                     read_each(c, v, r.match, [&](const yaml::Node& m, TLSMatchAttributes& out) {
                       read_tls_match(c, m, out, ctx);
                     });
                   }},
                  {"route", [&](const yaml::Node& v) { read_weighted_destinations(c, v, r.route); }},
              });
  if (!n.is_map()) return;
  if (r.match.empty()) c.error_field(n, "match", "a TLS route needs at least one match");
  if (r.route.empty()) c.error_field(n, "route", "required field is missing");
}

void read_tcp_route(DecodeContext& c, const yaml::Node& n, TCPRoute& r) {
  read_fields(c, n,
              {
                  {"match",
                   [&](const yaml::Node& v) {
                     read_each(c, v, r.match, [&](const yaml::Node& m, L4MatchAttributes& out) {
                       read_l4_match(c, m, out);
                     });
                   }},
                  {"route", [&](const yaml::Node& v) { read_weighted_destinations(c, v, r.route); }},
              });
  if (n.is_map() && r.route.empty()) c.error_field(n, "route", "required field is missing");
}

// Rules about the VirtualService as a whole, after every field is read.
void check_virtual_service(DecodeContext& c, const yaml::Node& spec, const VirtualService& vs) {
  if (vs.hosts.empty()) {
    // Without hosts this is a delegate: it is only reached through a root's route.
    if (!vs.gateways.empty()) {
      c.error_field(child_or_self(spec, "gateways"), "gateways",
                    "a delegate virtual service (no hosts) cannot set gateways");
    }
    if (!vs.tls.empty())
      c.error_field(child_or_self(spec, "tls"), "tls",
                    "a delegate virtual service (no hosts) cannot have tls routes");
    if (!vs.tcp.empty())
      c.error_field(child_or_self(spec, "tcp"), "tcp",
                    "a delegate virtual service (no hosts) cannot have tcp routes");
  }
  if (vs.http.empty() && vs.tcp.empty() && vs.tls.empty())
    c.error(spec, "at least one of http, tcp or tls routes is required");
}

}  // namespace

bool read(DecodeContext& c, const yaml::Node& n, RouteDestination& out) {
  read_with_destination(c, n, out.destination,
                        {{"weight", [&](const yaml::Node& v) { read_weight(c, v, out.weight); }}});
  return true;
}

void decode_spec(DecodeContext& c, const yaml::Node& spec, VirtualService& out) {
  if (!spec.is_map()) {
    c.error(spec, fmt::format("expected a map, got {}", type_name(spec)));
    return;
  }
  // Host and route rules depend on where the service is bound, so read gateways and hosts first.
  if (const yaml::Node g = spec["gateways"]; g && !g.is_null()) {
    FieldScope scope(c, "gateways");
    read_gateway_list(c, g, out.gateways);
  }
  VsContext ctx{out, false, applies_only_to_gateways(out.gateways)};
  if (const yaml::Node h = spec["hosts"]; h && !h.is_null()) {
    FieldScope scope(c, "hosts");
    const size_t errors = c.error_count();
    read_strings(c, h, out.hosts, [&](const yaml::Node& at, const std::string& host) {
      check_vs_host(c, at, host, ctx.gateway_bound);
    });
    if (c.error_count() == errors) check_duplicate_hosts(c, h, out.hosts);
  }
  ctx.delegate = out.hosts.empty();
  const HttpRouteContext http_ctx{ctx.delegate, ctx.gateway_bound};
  read_fields(
      c, spec,
      {
          {"hosts", [](const yaml::Node&) {}},
          {"gateways", [](const yaml::Node&) {}},
          {"http",
           [&](const yaml::Node& v) {
             read_each(c, v, out.http, [&](const yaml::Node& r, HTTPRoute& route) {
               read_http_route(c, r, route, http_ctx);
             });
           }},
          {"tls",
           [&](const yaml::Node& v) {
             read_each(c, v, out.tls,
                       [&](const yaml::Node& r, TLSRoute& route) { read_tls_route(c, r, route, ctx); });
           }},
          {"tcp",
           [&](const yaml::Node& v) {
             read_each(c, v, out.tcp,
                       [&](const yaml::Node& r, TCPRoute& route) { read_tcp_route(c, r, route); });
           }},
          {"exportTo", [&](const yaml::Node& v) { read_export_to(c, v, out.meta.ns, {}, out.export_to); }},
      });
  check_virtual_service(c, spec, out);
}

}  // namespace mesh::model
