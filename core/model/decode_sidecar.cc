// Sidecar: ingress and egress listeners, outbound traffic policy and the
// inbound connection pool.
#include <set>

#include <fmt/format.h>

#include "core/model/decode_kinds.h"
#include "core/model/decode_networking_common.h"

namespace mesh::model {

namespace {

void read_capture_mode(DecodeContext& c, const yaml::Node& v, std::string& out) {
  if (!read(c, v, out)) return;
  if (out != "DEFAULT" && out != "IPTABLES" && out != "NONE") {
    c.error(v, fmt::format("unknown value \"{}\" (expected one of DEFAULT, IPTABLES, NONE)", out));
  }
}

void read_bind(DecodeContext& c, const yaml::Node& v, std::string& out) {
  if (!read(c, v, out)) return;
  if (std::string problem = check_bind(out); !problem.empty()) c.error(v, problem);
}

// Checks shared by ingress and egress listener ports.
void check_listener_port(DecodeContext& c, const yaml::Node& port, const ServerPort& p) {
  FieldScope scope(c, "port");
  if (!p.name.empty() && !is_dns1123_label(p.name)) {
    c.error_field(child_or_self(port, "name"), "name",
                  fmt::format("port name \"{}\" is not a DNS-1123 label", p.name));
  }
  if (p.target_port != 0)
    c.error_field(child_or_self(port, "targetPort"), "targetPort", "targetPort has no effect on sidecars");
}

void check_default_endpoint(DecodeContext& c, const yaml::Node& at, const std::string& endpoint) {
  if (endpoint.starts_with("unix://")) {
    if (std::string problem = check_unix_address(endpoint.substr(7)); !problem.empty()) c.error(at, problem);
    return;
  }
  const size_t colon = endpoint.rfind(':');
  std::string host = colon == std::string::npos ? endpoint : endpoint.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = colon == std::string::npos ? "" : endpoint.substr(colon + 1);
  const bool host_ok =
      host.empty() || host == "127.0.0.1" || host == "0.0.0.0" || host == "::1" || host == "::";
  uint32_t number = 0;
  const bool port_ok = !port.empty() && port.size() <= 5 &&
                       port.find_first_not_of("0123456789") == std::string::npos &&
                       (number = static_cast<uint32_t>(std::stoul(port))) >= 1 && number <= 65535;
  if (colon == std::string::npos || !host_ok || !port_ok) {
    c.error(at,
            fmt::format("defaultEndpoint \"{}\" must be 127.0.0.1:PORT, 0.0.0.0:PORT, [::1]:PORT, [::]:PORT "
                        "or unix:///path",
                        endpoint));
  }
}

void check_ingress_tls(DecodeContext& c, const yaml::Node& n, const ServerTLSSettings& t) {
  FieldScope scope(c, "tls");
  if (!t.subject_alt_names.empty()) c.error(n, "subjectAltNames is not supported on sidecar ingress");
  if (t.https_redirect) c.error(n, "httpsRedirect is not supported on sidecar ingress");
  if (!t.credential_name.empty()) c.error(n, "credentialName is not supported on sidecar ingress");
  if (t.mode == ServerTLSSettings::Mode::kIstioMutual ||
      t.mode == ServerTLSSettings::Mode::kAutoPassthrough) {
    c.error(n, "modes ISTIO_MUTUAL and AUTO_PASSTHROUGH are not allowed on sidecar ingress");
  }
}

void read_ingress(DecodeContext& c, const yaml::Node& n, IstioIngressListener& out) {
  read_fields(c, n,
              {
                  {"port", [&](const yaml::Node& v) { read_server_port(c, v, out.port); }},
                  {"bind", [&](const yaml::Node& v) { read_bind(c, v, out.bind); }},
                  {"captureMode", [&](const yaml::Node& v) { read_capture_mode(c, v, out.capture_mode); }},
                  {"defaultEndpoint",
                   [&](const yaml::Node& v) {
                     if (read(c, v, out.default_endpoint)) check_default_endpoint(c, v, out.default_endpoint);
                   }},
                  {"tls", [&](const yaml::Node& v) { read_server_tls(c, v, out.tls.emplace()); }},
                  {"connectionPool",
                   [&](const yaml::Node& v) { read_connection_pool(c, v, out.connection_pool.emplace()); }},
              });
  if (!n.is_map()) return;
  const yaml::Node port = n["port"];
  if (!port || port.is_null()) {
    c.error_field(n, "port", "an ingress listener needs a port");
    return;
  }
  check_listener_port(c, port, out.port);
  if (out.port.number == 0)
    c.error_field(child_or_self(port, "number"), "port", "port number must be between 1 and 65535");
  if (out.tls) check_ingress_tls(c, n["tls"], *out.tls);
}

void read_egress(DecodeContext& c, const yaml::Node& n, IstioEgressListener& out) {
  read_fields(c, n,
              {
                  {"port", [&](const yaml::Node& v) { read_server_port(c, v, out.port.emplace()); }},
                  {"bind", [&](const yaml::Node& v) { read_bind(c, v, out.bind); }},
                  {"captureMode", [&](const yaml::Node& v) { read_capture_mode(c, v, out.capture_mode); }},
                  {"hosts",
                   [&](const yaml::Node& v) {
                     read_strings(c, v, out.hosts, [&](const yaml::Node& at, const std::string& host) {
                       for (std::string& problem : check_namespace_host(host, false))
                         c.error(at, std::move(problem));
                     });
                   }},
              });
  if (!n.is_map()) return;
  if (out.hosts.empty())
    c.error_field(child_or_self(n, "hosts"), "hosts", "an egress listener needs at least one host");
  if (!out.port) return;
  check_listener_port(c, n["port"], *out.port);
  if (out.port->number != 0) return;
  // Port 0 means a unix domain socket listener.
  if (!out.bind.starts_with("unix://")) {
    c.error_field(child_or_self(n, "bind"), "bind", "a listener with port 0 needs a unix:// bind address");
  } else if (!out.capture_mode.empty() && out.capture_mode != "DEFAULT" && out.capture_mode != "NONE") {
    c.error_field(n["captureMode"], "captureMode",
                  "a unix socket listener needs captureMode DEFAULT or NONE");
  }
}

// Ports must be unique per direction; one catch-all egress listener (no
// port) is allowed, and only as the last one.
void check_listener_sets(DecodeContext& c, const yaml::Node& spec, const Sidecar& sc) {
  std::set<uint32_t> ports;
  for (size_t i = 0; i < sc.ingress.size(); ++i) {
    if (sc.ingress[i].port.number == 0 || ports.insert(sc.ingress[i].port.number).second) continue;
    FieldScope a(c, "ingress"), b(c, i);
    c.error_field(child_or_self(spec["ingress"][i], "port"), "port",
                  fmt::format("duplicate ingress port {}", sc.ingress[i].port.number));
  }
  ports.clear();
  std::set<std::string> sockets;
  for (size_t i = 0; i < sc.egress.size(); ++i) {
    FieldScope a(c, "egress"), b(c, i);
    const IstioEgressListener& e = sc.egress[i];
    const yaml::Node node = spec["egress"][i];
    if (!e.port) {
      if (i + 1 != sc.egress.size()) c.error(node, "the egress listener without a port must be the last one");
      continue;
    }
    const bool dup =
        e.port->number == 0 ? !sockets.insert(e.bind).second : !ports.insert(e.port->number).second;
    if (dup)
      c.error_field(child_or_self(node, "port"), "port",
                    "egress listeners must have distinct ports and sockets");
  }
}

void read_outbound_policy(DecodeContext& c, const yaml::Node& n, OutboundTrafficPolicy& out) {
  read_fields(c, n,
              {
                  {"mode",
                   [&](const yaml::Node& v) {
                     read_enum(c, v, out.mode,
                               {{"ALLOW_ANY", OutboundTrafficPolicy::Mode::kAllowAny},
                                {"REGISTRY_ONLY", OutboundTrafficPolicy::Mode::kRegistryOnly}});
                   }},
                  {"egressProxy",
                   [&](const yaml::Node& v) {
                     read_destination(c, v, out.egress_proxy.emplace());
                     if (v.is_map() && !v["port"]) c.error_field(v, "port", "egressProxy needs a port");
                   }},
              });
  if (out.egress_proxy && out.mode != OutboundTrafficPolicy::Mode::kAllowAny) {
    c.error_field(n["egressProxy"], "egressProxy", "egressProxy needs mode ALLOW_ANY");
  }
}

}  // namespace

void decode_spec(DecodeContext& c, const yaml::Node& spec, Sidecar& out) {
  const bool ok = read_fields(
      c, spec,
      {
          {"workloadSelector",
           [&](const yaml::Node& v) { read_labels_selector(c, v, out.workload_selector); }},
          {"ingress",
           [&](const yaml::Node& v) {
             read_each(c, v, out.ingress,
                       [&](const yaml::Node& l, IstioIngressListener& in) { read_ingress(c, l, in); });
           }},
          {"egress",
           [&](const yaml::Node& v) {
             read_each(c, v, out.egress,
                       [&](const yaml::Node& l, IstioEgressListener& eg) { read_egress(c, l, eg); });
           }},
          {"outboundTrafficPolicy",
           [&](const yaml::Node& v) { read_outbound_policy(c, v, out.outbound_traffic_policy.emplace()); }},
          {"inboundConnectionPool",
           [&](const yaml::Node& v) { read_connection_pool(c, v, out.inbound_connection_pool.emplace()); }},
      });
  if (!ok) return;
  if (out.ingress.empty() && out.egress.empty() && !out.outbound_traffic_policy &&
      !out.inbound_connection_pool) {
    c.error(
        spec,
        "a sidecar needs at least one of ingress, egress, outboundTrafficPolicy or inboundConnectionPool");
  }
  check_listener_sets(c, spec, out);
}

}  // namespace mesh::model
