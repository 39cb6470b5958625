// Kubernetes decoders. Kubernetes objects carry many fields the mesh does not
// use, so unknown fields are ignored here; the fields the mesh does read are
// checked for type and range like the API server would.
#include <arpa/inet.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "core/model/decode_kinds.h"

namespace mesh::model {
namespace {

// Like read_fields, but keys the mesh does not read are skipped silently.
bool read_known(DecodeContext& c, const yaml::Node& node, std::initializer_list<Field> fields) {
  if (!node.is_map()) {
    c.error(node, fmt::format("expected a map, got {}", type_name(node)));
    return false;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.is_scalar() || it->second.is_null()) continue;
    const std::string& key = it->first.scalar();
    for (const Field& f : fields) {
      if (f.name != key) continue;
      FieldScope scope(c, key);
      f.read(it->second);
      break;
    }
  }
  return true;
}

template <class F>
void for_each_item(DecodeContext& c, const yaml::Node& n, F item) {
  if (!n.is_sequence()) {
    c.error(n, fmt::format("expected a list, got {}", type_name(n)));
    return;
  }
  for (size_t i = 0; i < n.size(); ++i) {
    FieldScope scope(c, i);
    item(n[i]);
  }
}

// A field below `parent` by path ("spec", "template"), descending through maps.
yaml::Node child(const yaml::Node& parent, std::initializer_list<const char*> path) {
  yaml::Node n = parent;
  for (const char* key : path) n = n[key];  // missing stays missing
  return n;
}

void read_one_of(DecodeContext& c, const yaml::Node& n, std::string& out,
                 std::initializer_list<std::string_view> allowed) {
  std::string value;
  if (!read(c, n, value)) return;
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    std::string names;
    for (std::string_view a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
    c.error(n, fmt::format("unknown value \"{}\" (expected one of {})", value, names));
    return;
  }
  out = std::move(value);
}

void read_protocol(DecodeContext& c, const yaml::Node& n, std::string& out) {
  read_one_of(c, n, out, {"TCP", "UDP", "SCTP"});
}

// Kubernetes' IANA_SVC_NAME: what named ports must look like.
bool valid_port_name(std::string_view name) {
  if (name.empty() || name.size() > 15 || name.front() == '-' || name.back() == '-') return false;
  if (name.find("--") != std::string_view::npos) return false;
  bool letter = false;
  for (char ch : name) {
    if (ch >= 'a' && ch <= 'z')
      letter = true;
    else if (!(ch >= '0' && ch <= '9') && ch != '-')
      return false;
  }
  return letter;
}

void read_port_name(DecodeContext& c, const yaml::Node& n, std::string& out) {
  if (!read(c, n, out)) return;
  if (!valid_port_name(out)) {
    c.error(n, fmt::format("port name \"{}\" must be 1-15 lower-case letters, digits or '-', with a letter",
                           out));
  }
}

// targetPort is an int-or-string: a number, or the name of a container port.
void read_target_port(DecodeContext& c, const yaml::Node& n, KubeServicePort& p) {
  if (!n.is_scalar()) {
    c.error(n, fmt::format("expected a port number or port name, got {}", type_name(n)));
    return;
  }
  const std::string& s = n.scalar();
  if (!s.empty() && std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    read_port(c, n, p.target_port);
  } else {
    read_port_name(c, n, p.target_port_name);
  }
}

// ---------------------------------------------------------------------- Service

void read_service_port(DecodeContext& c, const yaml::Node& n, KubeServicePort& p) {
  p.pos = c.pos(n);
  bool has_port = false;
  const bool ok = read_known(c, n,
                             {
                                 {"name", [&](const yaml::Node& v) { read_port_name(c, v, p.name); }},
                                 {"port",
                                  [&](const yaml::Node& v) {
                                    has_port = true;
                                    read_port(c, v, p.port);
                                  }},
                                 {"targetPort", [&](const yaml::Node& v) { read_target_port(c, v, p); }},
                                 {"protocol", [&](const yaml::Node& v) { read_protocol(c, v, p.protocol); }},
                                 {"appProtocol", [&](const yaml::Node& v) { read(c, v, p.app_protocol); }},
                             });
  if (ok && !has_port) c.error(n, "port: required field is missing");
}

// Kubernetes requires names on every port of a multi-port Service, all distinct.
void check_port_names(DecodeContext& c, const yaml::Node& ports, const std::vector<KubeServicePort>& list) {
  std::set<std::string> seen;
  for (size_t i = 0; i < list.size() && i < ports.size(); ++i) {
    FieldScope scope(c, i);
    if (list[i].name.empty()) {
      if (list.size() > 1) c.error(ports[i], "name: required when a Service has more than one port");
    } else if (!seen.insert(list[i].name).second) {
      c.error(ports[i], fmt::format("duplicate port name \"{}\"", list[i].name));
    }
  }
}

// ------------------------------------------------------------------ PodTemplate

void read_container_port(DecodeContext& c, const yaml::Node& n, std::vector<ContainerPort>& out) {
  ContainerPort p;
  bool has_port = false;
  const bool ok = read_known(c, n,
                             {
                                 {"name", [&](const yaml::Node& v) { read_port_name(c, v, p.name); }},
                                 {"containerPort",
                                  [&](const yaml::Node& v) {
                                    has_port = true;
                                    read_port(c, v, p.container_port);
                                  }},
                                 {"protocol", [&](const yaml::Node& v) { read_protocol(c, v, p.protocol); }},
                             });
  if (ok && !has_port) c.error(n, "containerPort: required field is missing");
  out.push_back(std::move(p));
}

void read_container(DecodeContext& c, const yaml::Node& n, std::vector<Container>& out) {
  Container ct;
  const bool ok = read_known(
      c, n,
      {
          {"name", [&](const yaml::Node& v) { read(c, v, ct.name); }},
          {"image", [&](const yaml::Node& v) { read(c, v, ct.image); }},
          {"ports",
           [&](const yaml::Node& v) {
             for_each_item(c, v, [&](const yaml::Node& p) { read_container_port(c, p, ct.ports); });
           }},
      });
  if (ok && ct.name.empty()) c.error(n, "name: required field is missing");
  out.push_back(std::move(ct));
}

// A pod spec; `node_name` is read only for Pods (templates have none).
void read_pod_spec(DecodeContext& c, const yaml::Node& n, PodTemplate& t, std::string* node_name) {
  std::string deprecated_account;
  read_known(c, n,
             {
                 {"serviceAccountName", [&](const yaml::Node& v) { read(c, v, t.service_account); }},
                 {"serviceAccount", [&](const yaml::Node& v) { read(c, v, deprecated_account); }},
                 {"hostNetwork", [&](const yaml::Node& v) { read(c, v, t.host_network); }},
                 {"containers",
                  [&](const yaml::Node& v) {
                    for_each_item(c, v,
                                  [&](const yaml::Node& item) { read_container(c, item, t.containers); });
                  }},
                 {"nodeName",
                  [&](const yaml::Node& v) {
                    if (node_name != nullptr) read(c, v, *node_name);
                  }},
             });
  if (t.service_account.empty()) t.service_account = deprecated_account;
  if (t.service_account.empty()) t.service_account = "default";
}

void read_template(DecodeContext& c, const yaml::Node& n, PodTemplate& t) {
  read_known(c, n,
             {
                 {"metadata",
                  [&](const yaml::Node& v) {
                    read_known(c, v,
                               {
                                   {"labels", [&](const yaml::Node& l) { read(c, l, t.labels); }},
                                   {"annotations", [&](const yaml::Node& a) { read(c, a, t.annotations); }},
                               });
                  }},
                 {"spec", [&](const yaml::Node& v) { read_pod_spec(c, v, t, nullptr); }},
             });
  if (t.service_account.empty()) t.service_account = "default";
}

// ---------------------------------------------------------------------- Workload

bool has_replicas(std::string_view kind) {
  return kind == "Deployment" || kind == "StatefulSet" || kind == "ReplicaSet" ||
         kind == "ReplicationController";
}

void read_replicas(DecodeContext& c, const yaml::Node& n, int32_t& out) {
  if (read(c, n, out) && out < 0) c.error(n, fmt::format("replicas {} must not be negative", out));
}

// Workload spec (for a CronJob, its jobTemplate.spec) minus the template.
void read_workload_spec(DecodeContext& c, const yaml::Node& spec, Workload& out, yaml::Node& selector_node) {
  const std::string& kind = out.meta.kind;
  read_known(
      c, spec,
      {
          {"replicas",
           [&](const yaml::Node& v) {
             if (has_replicas(kind)) read_replicas(c, v, out.replicas);
           }},
          {"selector",
           [&](const yaml::Node& v) {
             selector_node = v;
             if (kind == "ReplicationController") {  // a plain label map in the core API
               read(c, v, out.selector);
             } else {
               read_known(c, v, {{"matchLabels", [&](const yaml::Node& m) { read(c, m, out.selector); }}});
             }
           }},
      });
}

// The selector must select the template's pods; an empty one defaults to their labels.
void check_selector(DecodeContext& c, const yaml::Node& selector_node, Workload& out) {
  if (out.selector.empty()) {
    out.selector = out.template_.labels;
    return;
  }
  for (const auto& [key, value] : out.selector) {
    const auto it = out.template_.labels.find(key);
    if (it == out.template_.labels.end() || it->second != value) {
      c.error_field(selector_node, "selector",
                    fmt::format("selector {}={} does not match the template's labels", key, value));
      return;
    }
  }
}

bool valid_address(const std::string& text, const std::string& type) {
  unsigned char buf[16];
  if (type == "IPv4") return inet_pton(AF_INET, text.c_str(), buf) == 1;
  if (type == "IPv6") return inet_pton(AF_INET6, text.c_str(), buf) == 1;
  return !text.empty();  // FQDN
}

void read_endpoint(DecodeContext& c, const yaml::Node& n, const std::string& type,
                   EndpointSliceEndpoint& ep) {
  const bool ok =
      read_known(c, n,
                 {
                     {"addresses",
                      [&](const yaml::Node& v) {
                        for_each_item(c, v, [&](const yaml::Node& a) {
                          std::string addr;
                          if (!read(c, a, addr)) return;
                          if (!valid_address(addr, type))
                            c.error(a, fmt::format("\"{}\" is not an {} address", addr, type));
                          ep.addresses.push_back(std::move(addr));
                        });
                      }},
                     {"conditions",
                      [&](const yaml::Node& v) {
                        read_known(c, v, {{"ready", [&](const yaml::Node& r) { read(c, r, ep.ready); }}});
                      }},
                     {"targetRef",
                      [&](const yaml::Node& v) {
                        std::string kind, name;
                        read_known(c, v,
                                   {{"kind", [&](const yaml::Node& k) { read(c, k, kind); }},
                                    {"name", [&](const yaml::Node& k) { read(c, k, name); }}});
                        if (kind == "Pod") ep.target_pod = name;
                      }},
                 });
  if (ok && ep.addresses.empty()) c.error(n, "addresses: at least one address is required");
}

void read_slice_port(DecodeContext& c, const yaml::Node& n, EndpointSlicePort& p) {
  read_known(c, n,
             {
                 {"name", [&](const yaml::Node& v) { read(c, v, p.name); }},
                 {"port", [&](const yaml::Node& v) { read_port(c, v, p.port); }},
                 {"protocol", [&](const yaml::Node& v) { read_protocol(c, v, p.protocol); }},
             });
}

}  // namespace

void decode_object(DecodeContext&, const yaml::Node&, Namespace&) {}
void decode_object(DecodeContext&, const yaml::Node&, ServiceAccount&) {}

void decode_object(DecodeContext& c, const yaml::Node& doc, Service& out) {
  const yaml::Node spec = doc["spec"];
  if (!spec || spec.is_null()) return;
  FieldScope scope(c, "spec");
  yaml::Node ports_node;
  const bool ok = read_known(
      c, spec,
      {
          {"selector", [&](const yaml::Node& v) { read(c, v, out.selector); }},
          {"ports",
           [&](const yaml::Node& v) {
             ports_node = v;
             for_each_item(c, v, [&](const yaml::Node& p) {
               out.ports.emplace_back();
               read_service_port(c, p, out.ports.back());
             });
           }},
          {"clusterIP", [&](const yaml::Node& v) { read(c, v, out.cluster_ip); }},
          {"type",
           [&](const yaml::Node& v) {
             read_one_of(c, v, out.type, {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"});
           }},
          {"externalName", [&](const yaml::Node& v) { read(c, v, out.external_name); }},
      });
  if (!ok) return;
  if (ports_node.is_sequence()) {
    FieldScope ports(c, "ports");
    check_port_names(c, ports_node, out.ports);
  }
  if (out.type == "ExternalName" && out.external_name.empty()) {
    c.error(spec, "externalName: required when type is ExternalName");
  }
}

void decode_object(DecodeContext& c, const yaml::Node& doc, Pod& out) {
  out.spec.labels = out.meta.labels;
  out.spec.annotations = out.meta.annotations;
  const yaml::Node spec = doc["spec"];
  if (spec && !spec.is_null()) {
    FieldScope scope(c, "spec");
    read_pod_spec(c, spec, out.spec, &out.node_name);
  } else {
    out.spec.service_account = "default";
  }
  const yaml::Node ip = child(doc, {"status", "podIP"});
  if (ip && !ip.is_null()) {
    FieldScope scope(c, "status.podIP");
    if (read(c, ip, out.pod_ip) && !out.pod_ip.empty() && !valid_address(out.pod_ip, "IPv4") &&
        !valid_address(out.pod_ip, "IPv6")) {
      c.error(ip, fmt::format("\"{}\" is not an IP address", out.pod_ip));
    }
  }
}

void decode_object(DecodeContext& c, const yaml::Node& doc, Workload& out) {
  const bool cron = out.meta.kind == "CronJob";
  const yaml::Node spec = cron ? child(doc, {"spec", "jobTemplate", "spec"}) : child(doc, {"spec"});
  const char* spec_path = cron ? "spec.jobTemplate.spec" : "spec";
  if (!spec || spec.is_null()) {
    c.error(doc, fmt::format("{}: required field is missing", spec_path));
    return;
  }
  FieldScope scope(c, spec_path);
  if (!spec.is_map()) {
    c.error(spec, fmt::format("expected a map, got {}", type_name(spec)));
    return;
  }
  yaml::Node selector_node;
  read_workload_spec(c, spec, out, selector_node);
  const yaml::Node tmpl = spec["template"];
  if (!tmpl || tmpl.is_null()) {
    c.error(spec, "template: required field is missing");
    return;
  }
  {
    FieldScope t(c, "template");
    read_template(c, tmpl, out.template_);
  }
  check_selector(c, selector_node, out);
}

void decode_object(DecodeContext& c, const yaml::Node& doc, EndpointSlice& out) {
  const auto label = out.meta.labels.find("kubernetes.io/service-name");
  if (label != out.meta.labels.end()) out.service_name = label->second;
  read_known(c, doc,
             {
                 {"addressType",
                  [&](const yaml::Node& v) {
                    read_one_of(c, v, out.address_type, {"IPv4", "IPv6", "FQDN"});
                  }},
             });
  read_known(c, doc,
             {
                 {"endpoints",
                  [&](const yaml::Node& v) {
                    for_each_item(c, v, [&](const yaml::Node& e) {
                      out.endpoints.emplace_back();
                      read_endpoint(c, e, out.address_type, out.endpoints.back());
                    });
                  }},
                 {"ports",
                  [&](const yaml::Node& v) {
                    for_each_item(c, v, [&](const yaml::Node& p) {
                      out.ports.emplace_back();
                      read_slice_port(c, p, out.ports.back());
                    });
                  }},
             });
}

}  // namespace mesh::model
