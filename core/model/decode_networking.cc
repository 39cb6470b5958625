// Gateway (with the server TLS settings a Sidecar shares) and WorkloadEntry.
// ServiceEntry is in decode_service_entry.cc, Sidecar in decode_sidecar.cc.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "core/model/decode_kinds.h"
#include "core/model/decode_networking_common.h"

namespace mesh::model {

namespace {

using TlsMode = ServerTLSSettings::Mode;

int tls_version_rank(const std::string& v) {
  static const char* const order[] = {"TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"};
  for (int i = 0; i < 5; ++i) {
    if (v == order[i]) return i;
  }
  return -1;
}

void read_tls_version(DecodeContext& c, const yaml::Node& v, std::string& out) {
  if (!read(c, v, out)) return;
  if (tls_version_rank(out) < 0) {
    c.error(v,
            fmt::format("unknown value \"{}\" (expected one of TLS_AUTO, TLSV1_0, TLSV1_1, TLSV1_2, TLSV1_3)",
                        out));
  }
}

bool has_certificates(const ServerTLSSettings& t) {
  return !t.server_certificate.empty() || !t.private_key.empty() || !t.ca_certificates.empty() ||
         !t.credential_name.empty() || !t.ca_crl.empty();
}

void check_server_tls(DecodeContext& c, const yaml::Node& n, const ServerTLSSettings& t) {
  const int min = tls_version_rank(t.min_protocol_version), max = tls_version_rank(t.max_protocol_version);
  if (min > 0 && max > 0 && min > max) c.error(n, "minProtocolVersion is above maxProtocolVersion");
  if ((min == 1 || min == 2) && t.cipher_suites.empty()) {
    c.warning(n,
              "TLS versions below 1.2 need cipherSuites set; the defaults no longer include compatible ones");
  }
  if (t.mode == TlsMode::kIstioMutual) {
    if (has_certificates(t))
      c.error(n, "ISTIO_MUTUAL uses the mesh's certificates; remove the certificate fields");
    return;
  }
  if (t.mode == TlsMode::kPassthrough || t.mode == TlsMode::kAutoPassthrough) {
    if (has_certificates(t))
      c.warning(n, "passthrough modes do not terminate TLS; the certificates are ignored");
    return;
  }
  const bool mutual = t.mode == TlsMode::kMutual || t.mode == TlsMode::kOptionalMutual;
  const bool remote = !t.credential_name.empty() || !t.credential_names.empty();
  if (!t.ca_crl.empty() && remote)
    c.error_field(n, "caCrl", "caCrl cannot be used with credentialName; put the CRL in the credential");
  if (!t.ca_crl.empty() && t.mode == TlsMode::kSimple)
    c.error_field(n, "caCrl", "caCrl is not supported with SIMPLE TLS");
  if (remote) return;
  const char* mode = mutual ? "MUTUAL" : "SIMPLE";
  if (t.server_certificate.empty()) {
    c.error_field(n, "serverCertificate",
                  fmt::format("{} TLS needs serverCertificate (or credentialName)", mode));
  }
  if (t.private_key.empty())
    c.error_field(n, "privateKey", fmt::format("{} TLS needs privateKey (or credentialName)", mode));
  if (mutual && t.ca_certificates.empty()) {
    c.error_field(n, "caCertificates", "MUTUAL TLS needs caCertificates (or credentialName)");
  }
}

void read_server(DecodeContext& c, const yaml::Node& n, Server& out) {
  read_fields(c, n,
              {
                  {"port", [&](const yaml::Node& v) { read_server_port(c, v, out.port); }},
                  {"bind",
                   [&](const yaml::Node& v) {
                     if (!read(c, v, out.bind)) return;
                     if (std::string problem = check_bind(out.bind); !problem.empty()) c.error(v, problem);
                   }},
                  {"hosts",
                   [&](const yaml::Node& v) {
                     read_strings(c, v, out.hosts, [&](const yaml::Node& at, const std::string& host) {
                       for (std::string& problem : check_namespace_host(host, true))
                         c.error(at, std::move(problem));
                     });
                   }},
                  {"tls", [&](const yaml::Node& v) { read_server_tls(c, v, out.tls.emplace()); }},
                  {"defaultEndpoint", [&](const yaml::Node& v) { read(c, v, out.default_endpoint); }},
                  {"name", [&](const yaml::Node& v) { read(c, v, out.name); }},
              });
}

// Rules across a server's port, bind and tls.
void check_server(DecodeContext& c, const yaml::Node& n, const Server& s) {
  if (s.hosts.empty()) c.error_field(child_or_self(n, "hosts"), "hosts", "a server needs at least one host");
  const yaml::Node port = n["port"];
  if (!port || port.is_null()) {
    c.error_field(n, "port", "required field is missing");
    return;
  }
  FieldScope scope(c, "port");
  const bool unix_bind = s.bind.starts_with("unix://");
  if (!port.is_map()) return;
  if (!port["protocol"]) c.error_field(port, "protocol", "required field is missing");
  if (!port["name"]) c.error_field(port, "name", "required field is missing");
  if (s.port.number == 0 && !unix_bind)
    c.error_field(child_or_self(port, "number"), "number", "port number must be between 1 and 65535");
  if (s.port.number != 0 && unix_bind)
    c.error_field(port["number"], "number", "a server bound to a unix socket must use port number 0");
  if (s.port.target_port != 0)
    c.error_field(port["targetPort"], "targetPort", "targetPort has no effect on gateways");
  if (!is_known_protocol(s.port.protocol)) return;
  if (protocol_is_tls(s.port.protocol) && !s.tls) {
    c.error(port, fmt::format("a {} server needs tls settings", s.port.protocol));
  } else if (!protocol_is_tls(s.port.protocol) && s.tls) {
    const bool redirect_only =
        (s.tls->mode == TlsMode::kPassthrough || s.tls->mode == TlsMode::kAutoPassthrough) &&
        s.tls->server_certificate.empty() && s.tls->private_key.empty() && s.tls->ca_certificates.empty();
    if (!protocol_is_http(s.port.protocol) || !redirect_only) {
      c.error(port, fmt::format("a {} server cannot have tls settings (only httpsRedirect on HTTP)",
                                s.port.protocol));
    }
  }
  if (s.tls && s.tls->https_redirect && !protocol_is_http(s.port.protocol)) {
    c.warning(port, "tls.httpsRedirect only applies to HTTP servers");
  }
}

void read_servers(DecodeContext& c, const yaml::Node& n, std::vector<Server>& out) {
  read_each(c, n, out, [&](const yaml::Node& s, Server& server) {
    read_server(c, s, server);
    if (s.is_map()) check_server(c, s, server);
  });
  std::set<std::string> names;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!n[i].is_map() || !n[i]["port"] || names.insert(out[i].port.name).second) continue;
    FieldScope server(c, i);
    FieldScope port(c, "port");
    c.error_field(
        child_or_self(n[i]["port"], "name"), "name",
        fmt::format("duplicate port name \"{}\"; server port names must be unique", out[i].port.name));
  }
}

}  // namespace

void read_server_tls(DecodeContext& c, const yaml::Node& n, ServerTLSSettings& out) {
  const auto list = [&](std::vector<std::string>& field) {
    return [&c, &field](const yaml::Node& v) { read_strings(c, v, field); };
  };
  read_fields(c, n,
              {
                  {"httpsRedirect", [&](const yaml::Node& v) { read(c, v, out.https_redirect); }},
                  {"mode",
                   [&](const yaml::Node& v) {
                     read_enum(c, v, out.mode,
                               {{"PASSTHROUGH", TlsMode::kPassthrough},
                                {"SIMPLE", TlsMode::kSimple},
                                {"MUTUAL", TlsMode::kMutual},
                                {"AUTO_PASSTHROUGH", TlsMode::kAutoPassthrough},
                                {"ISTIO_MUTUAL", TlsMode::kIstioMutual},
                                {"OPTIONAL_MUTUAL", TlsMode::kOptionalMutual}});
                   }},
                  {"serverCertificate", [&](const yaml::Node& v) { read(c, v, out.server_certificate); }},
                  {"privateKey", [&](const yaml::Node& v) { read(c, v, out.private_key); }},
                  {"caCertificates", [&](const yaml::Node& v) { read(c, v, out.ca_certificates); }},
                  {"caCrl", [&](const yaml::Node& v) { read(c, v, out.ca_crl); }},
                  {"credentialName", [&](const yaml::Node& v) { read(c, v, out.credential_name); }},
                  {"credentialNames", list(out.credential_names)},
                  {"subjectAltNames", list(out.subject_alt_names)},
                  {"verifyCertificateSpki", list(out.verify_certificate_spki)},
                  {"verifyCertificateHash", list(out.verify_certificate_hash)},
                  {"minProtocolVersion",
                   [&](const yaml::Node& v) { read_tls_version(c, v, out.min_protocol_version); }},
                  {"maxProtocolVersion",
                   [&](const yaml::Node& v) { read_tls_version(c, v, out.max_protocol_version); }},
                  {"cipherSuites", list(out.cipher_suites)},
              });
  if (n.is_map()) check_server_tls(c, n, out);
}

void decode_spec(DecodeContext& c, const yaml::Node& spec, Gateway& out) {
  if (!out.meta.name.empty() && !is_dns1123_label(out.meta.name)) {
    c.error(spec, fmt::format("gateway name \"{}\" must be a DNS-1123 label (no dots)", out.meta.name));
  }
  if (!read_fields(c, spec,
                   {
                       {"servers", [&](const yaml::Node& v) { read_servers(c, v, out.servers); }},
                       {"selector",
                        [&](const yaml::Node& v) {
                          if (read(c, v, out.selector)) check_labels(c, v);
                        }},
                   })) {
    return;
  }
  if (out.servers.empty())
    c.error_field(child_or_self(spec, "servers"), "servers", "a gateway needs at least one server");
}

void read_workload_entry_spec(DecodeContext& c, const yaml::Node& n, WorkloadEntrySpec& out) {
  read_fields(c, n,
              {
                  {"address", [&](const yaml::Node& v) { read(c, v, out.address); }},
                  {"ports",
                   [&](const yaml::Node& v) {
                     if (!v.is_map()) {
                       c.error(v,
                               fmt::format("expected a map of port names to numbers, got {}", type_name(v)));
                       return;
                     }
                     for (auto it = v.begin(); it != v.end(); ++it) {
                       std::string name;
                       if (!read(c, it->first, name)) continue;
                       FieldScope scope(c, name);
                       if (!is_dns1123_label(name))
                         c.error(it->first, fmt::format("port name \"{}\" is not a DNS-1123 label", name));
                       uint32_t number = 0;
                       if (read_port(c, it->second, number)) out.ports[name] = number;
                     }
                   }},
                  {"labels",
                   [&](const yaml::Node& v) {
                     if (read(c, v, out.labels)) check_labels(c, v);
                   }},
                  {"network", [&](const yaml::Node& v) { read(c, v, out.network); }},
                  {"locality", [&](const yaml::Node& v) { read(c, v, out.locality); }},
                  {"weight", [&](const yaml::Node& v) { read(c, v, out.weight); }},
                  {"serviceAccount", [&](const yaml::Node& v) { read(c, v, out.service_account); }},
              });
}

void check_workload_entry(DecodeContext& c, const yaml::Node& n, const WorkloadEntrySpec& we,
                          const std::vector<std::string>* service_ports, bool allow_fqdn) {
  const yaml::Node address = child_or_self(n, "address");
  if (we.address.empty()) {
    if (we.network.empty())
      c.error_field(n, "address", "required field is missing (or set network)");
    else
      c.warning(n,
                fmt::format("address is unset; the workload is reached through network \"{}\"", we.network));
  } else if (we.address.starts_with("unix://")) {
    if (std::string problem = check_unix_address(we.address.substr(7)); !problem.empty())
      c.error_field(address, "address", problem);
    if (!we.ports.empty())
      c.error_field(child_or_self(n, "ports"), "ports", "a unix socket endpoint cannot have ports");
    if (service_ports && service_ports->size() != 1) {
      c.error_field(address, "address", "a unix socket endpoint needs exactly one service port");
    }
  } else if (!is_ip_address(we.address)) {
    if (!allow_fqdn) {
      c.error_field(address, "address",
                    fmt::format("\"{}\" is not an IP address (resolution STATIC)", we.address));
    } else if (!check_fqdn(we.address).empty()) {
      c.error_field(address, "address",
                    fmt::format("\"{}\" is neither an IP address nor a DNS name", we.address));
    }
  }
  if (!service_ports) return;
  const yaml::Node ports = child_or_self(n, "ports");
  for (const auto& [name, number] : we.ports) {
    if (std::find(service_ports->begin(), service_ports->end(), name) != service_ports->end()) continue;
    FieldScope scope(c, "ports");
    c.error_field(child_or_self(ports, name), name,
                  fmt::format("port \"{}\" is not a port of the service entry", name));
  }
}

void decode_spec(DecodeContext& c, const yaml::Node& spec, WorkloadEntry& out) {
  if (!spec.is_map()) {
    c.error(spec, fmt::format("expected a map, got {}", type_name(spec)));
    return;
  }
  read_workload_entry_spec(c, spec, out.spec);
  check_workload_entry(c, spec, out.spec, nullptr, true);
}

}  // namespace mesh::model
