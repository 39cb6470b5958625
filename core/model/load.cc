#include "core/model/load.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "core/model/decode_kinds.h"
#include "core/model/yaml_parse.h"

namespace mesh::model {
namespace {

namespace fs = std::filesystem;

struct KindInfo {
  std::string_view group;  // "" for the core group
  std::string_view kind;
  std::string_view versions;  // served versions, space-separated
  void (*decode)(DecodeContext&, const yaml::Node& doc, Meta meta, ConfigSet& out);
};

// Decodes an Istio object: `spec` through its kind's decoder.
template <class T, std::vector<T> ConfigSet::*Member>
void decode_istio(DecodeContext& c, const yaml::Node& doc, Meta meta, ConfigSet& out) {
  T object{};
  object.meta = std::move(meta);
  const yaml::Node spec = doc["spec"];
  if (!spec || spec.is_null()) {
    c.error(doc, "spec: required field is missing");
  } else {
    FieldScope scope(c, "spec");
    decode_spec(c, spec, object);
  }
  (out.*Member).push_back(std::move(object));
}

// Decodes a Kubernetes object from the whole document.
template <class T, std::vector<T> ConfigSet::*Member>
void decode_kube(DecodeContext& c, const yaml::Node& doc, Meta meta, ConfigSet& out) {
  T object{};
  object.meta = std::move(meta);
  decode_object(c, doc, object);
  (out.*Member).push_back(std::move(object));
}

constexpr std::string_view kNetworking = "v1 v1beta1 v1alpha3";
constexpr std::string_view kSecurity = "v1 v1beta1";

const KindInfo kKinds[] = {
    {"networking.istio.io", "VirtualService", kNetworking, decode_istio<VirtualService, &ConfigSet::virtual_services>},
    {"networking.istio.io", "DestinationRule", kNetworking, decode_istio<DestinationRule, &ConfigSet::destination_rules>},
    {"networking.istio.io", "Gateway", kNetworking, decode_istio<Gateway, &ConfigSet::gateways>},
    {"networking.istio.io", "ServiceEntry", kNetworking, decode_istio<ServiceEntry, &ConfigSet::service_entries>},
    {"networking.istio.io", "WorkloadEntry", kNetworking, decode_istio<WorkloadEntry, &ConfigSet::workload_entries>},
    {"networking.istio.io", "Sidecar", kNetworking, decode_istio<Sidecar, &ConfigSet::sidecars>},
    {"security.istio.io", "PeerAuthentication", kSecurity, decode_istio<PeerAuthentication, &ConfigSet::peer_authentications>},
    {"security.istio.io", "AuthorizationPolicy", kSecurity, decode_istio<AuthorizationPolicy, &ConfigSet::authorization_policies>},
    {"security.istio.io", "RequestAuthentication", kSecurity, decode_istio<RequestAuthentication, &ConfigSet::request_authentications>},
    {"", "Namespace", "v1", decode_kube<Namespace, &ConfigSet::namespaces>},
    {"", "Service", "v1", decode_kube<Service, &ConfigSet::services>},
    {"", "ServiceAccount", "v1", decode_kube<ServiceAccount, &ConfigSet::service_accounts>},
    {"", "Pod", "v1", decode_kube<Pod, &ConfigSet::pods>},
    {"", "ReplicationController", "v1", decode_kube<Workload, &ConfigSet::workloads>},
    {"apps", "Deployment", "v1", decode_kube<Workload, &ConfigSet::workloads>},
    {"apps", "StatefulSet", "v1", decode_kube<Workload, &ConfigSet::workloads>},
    {"apps", "DaemonSet", "v1", decode_kube<Workload, &ConfigSet::workloads>},
    {"apps", "ReplicaSet", "v1", decode_kube<Workload, &ConfigSet::workloads>},
    {"batch", "Job", "v1", decode_kube<Workload, &ConfigSet::workloads>},
    {"batch", "CronJob", "v1 v1beta1", decode_kube<Workload, &ConfigSet::workloads>},
    {"discovery.k8s.io", "EndpointSlice", "v1 v1beta1", decode_kube<EndpointSlice, &ConfigSet::endpoint_slices>},
};

const KindInfo* find_kind(std::string_view group, std::string_view kind) {
  for (const KindInfo& k : kKinds) {
    if (k.group == group && k.kind == kind) return &k;
  }
  return nullptr;
}

bool serves(std::string_view versions, std::string_view version) {
  while (!versions.empty()) {
    const size_t space = versions.find(' ');
    if (versions.substr(0, space) == version) return true;
    if (space == std::string_view::npos) break;
    versions.remove_prefix(space + 1);
  }
  return false;
}

// The yaml-cpp tree of one document, parsed only when a pod or workload must
// keep it (LoadOptions::keep_raw): the fast reader's tree is gone after decoding.
class RawSource {
 public:
  explicit RawSource(std::string_view text) : text_(text) {}
  // The document, or item `index` of a List document.
  YAML::Node get(std::optional<size_t> index) {
    if (!parsed_) {
      try {
        doc_ = YAML::Load(std::string(text_));
      } catch (const YAML::Exception&) {
        // Unreachable in practice: the same text already parsed.
      }
      parsed_ = true;
    }
    if (!index) return doc_;
    const YAML::Node& doc = doc_;  // const lookups: non-const ones insert
    return doc["items"][*index];
  }

 private:
  std::string_view text_;
  YAML::Node doc_;
  bool parsed_ = false;
};

class Loader {
 public:
  Loader(const LoadOptions& options, ConfigSet& out, Diagnostics& diags)
      : options_(options), out_(out), diags_(diags) {}

  void load_text(std::string_view text, const std::string& file_name);

 private:
  void load_chunk(const yaml::DocumentText& chunk, DecodeContext& c);
  void load_document(const yaml::Node& doc, DecodeContext& c, RawSource& raw, std::optional<size_t> item);
  void keep_raw(RawSource& raw, std::optional<size_t> item, size_t pods_before, size_t workloads_before);

  const LoadOptions& options_;
  ConfigSet& out_;
  Diagnostics& diags_;
  size_t objects_ = 0;  // documents of the current file that are objects (valid or not)
};

void Loader::load_document(const yaml::Node& doc, DecodeContext& c, RawSource& raw, std::optional<size_t> item) {
  if (!doc || doc.is_null()) return;  // empty document between separators
  if (!doc.is_map()) {
    ++objects_;
    c.error(doc, fmt::format("a document must be a map with apiVersion and kind, got {}", type_name(doc)));
    return;
  }
  const std::string api_version = doc["apiVersion"].scalar();
  const std::string kind = doc["kind"].scalar();
  if (kind.empty() || api_version.empty()) {
    ++objects_;
    c.error(doc, kind.empty() ? "kind: required field is missing" : "apiVersion: required field is missing");
    return;
  }
  if (kind.ends_with("List") && doc["items"]) {
    const yaml::Node items = doc["items"];
    if (!items.is_sequence() || item) {
      c.error(items, item ? "nested lists are not supported" : "items: expected a list");
      return;
    }
    for (size_t i = 0; i < items.size(); ++i) load_document(items[i], c, raw, i);
    return;
  }
  ++objects_;
  const size_t slash = api_version.find('/');
  const std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  const std::string version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
  Meta meta;
  meta.api_version = api_version;
  meta.kind = kind;
  meta.file = c.file();
  meta.pos = c.pos(doc);
  const KindInfo* info = find_kind(group, kind);
  if (info == nullptr) {
    c.set_object(meta);
    c.warning(doc, fmt::format("unknown kind {} ({}) skipped", kind, api_version));
    return;
  }
  c.set_object(meta);  // metadata problems belong to this object, not the previous one
  if (const yaml::Node md = doc["metadata"]) read_metadata(c, md, meta);
  if (meta.ns.empty()) meta.ns = options_.default_namespace;
  c.set_object(meta);
  if (!serves(info->versions, version)) {
    c.error(doc["apiVersion"],
            fmt::format("apiVersion {} is not served for {} (served: {})", api_version, kind, info->versions));
    return;
  }
  if (meta.name.empty()) c.error(doc, "metadata.name: required field is missing");
  const size_t pods_before = out_.pods.size(), workloads_before = out_.workloads.size();
  info->decode(c, doc, std::move(meta), out_);
  if (options_.keep_raw) keep_raw(raw, item, pods_before, workloads_before);
}

void Loader::keep_raw(RawSource& raw, std::optional<size_t> item, size_t pods_before, size_t workloads_before) {
  // reset(), not `=`: yaml-cpp's assignment writes through into a shared node.
  if (out_.pods.size() > pods_before) out_.pods.back().raw.reset(raw.get(item));
  if (out_.workloads.size() > workloads_before) out_.workloads.back().raw.reset(raw.get(item));
}

void Loader::load_chunk(const yaml::DocumentText& chunk, DecodeContext& c) {
  c.set_line_offset(chunk.first_line);
  yaml::Document doc;
  try {
    doc = yaml::parse(chunk.text);
  } catch (const YAML::Exception& e) {
    Pos pos{e.mark.is_null() ? 1 : e.mark.line + 1, e.mark.is_null() ? 1 : e.mark.column + 1};
    c.set_object(Meta{});
    c.report(Severity::kError, pos, "invalid YAML: " + e.msg);
    return;
  }
  RawSource raw(chunk.text);
  load_document(doc.root(), c, raw, std::nullopt);
}

void Loader::load_text(std::string_view text, const std::string& file_name) {
  DecodeContext c(std::make_shared<const std::string>(file_name), diags_);
  objects_ = 0;
  if (text.size() > options_.max_file_bytes) {
    c.report(Severity::kError, Pos{1, 1},
             fmt::format("input is {} bytes, more than the limit of {} bytes", text.size(), options_.max_file_bytes));
    return;
  }
  if (text.find('\0') != std::string_view::npos) {
    const size_t at = text.find('\0');
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
    c.report(Severity::kError, Pos{line, 1}, "input contains binary data (a NUL byte); expected YAML or JSON text");
    return;
  }
  for (const yaml::DocumentText& chunk : yaml::split_documents(text)) load_chunk(chunk, c);
  // Empty or comments only: most likely a wrong path or an emptied file, so say so.
  if (objects_ == 0 && c.error_count() == 0) c.report(Severity::kWarning, Pos{0, 0}, "no objects found");
}

bool is_config_file(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buf;
  buf << in.rdbuf();
  out = std::move(buf).str();
  return !in.bad();
}

void file_error(Diagnostics& diags, const std::string& path, std::string message) {
  diags.add(Diagnostic{Severity::kError, path, Pos{0, 0}, "", "", std::move(message)});
}

}  // namespace

void load_text(std::string_view text, const std::string& file_name, const LoadOptions& options,
               ConfigSet& out, Diagnostics& diags) {
  Loader(options, out, diags).load_text(text, file_name);
}

namespace {

// Calls `each(name, text)` for every input, in order.
template <class Each>
void for_each_input(const std::vector<std::string>& paths, Diagnostics& diags, Each each) {
  for (const std::string& path : paths) {
    std::string text;
    if (path == "-") {
      std::ostringstream buf;
      buf << std::cin.rdbuf();
      each("<stdin>", buf.str());
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> files;
      for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (it->is_regular_file(ec) && is_config_file(it->path())) files.push_back(it->path().string());
      }
      if (ec) file_error(diags, path, "cannot read directory: " + ec.message());
      std::sort(files.begin(), files.end());
      for (const std::string& f : files) {
        if (read_file(f, text)) each(f, text);
        else file_error(diags, f, "cannot read file");
      }
      continue;
    }
    if (!fs::exists(path, ec)) {
      file_error(diags, path, "no such file or directory");
    } else if (read_file(path, text)) {
      each(path, text);
    } else {
      file_error(diags, path, "cannot read file");
    }
  }
}

}  // namespace

void read_paths(const std::vector<std::string>& paths, std::vector<SourceText>& out, Diagnostics& diags) {
  for_each_input(paths, diags, [&](const std::string& name, const std::string& text) {
    out.push_back(SourceText{name, text});
  });
}

// One file at a time: a directory of large files is never all in memory.
void load_paths(const std::vector<std::string>& paths, const LoadOptions& options, ConfigSet& out,
                Diagnostics& diags) {
  Loader loader(options, out, diags);
  for_each_input(paths, diags, [&](const std::string& name, const std::string& text) { loader.load_text(text, name); });
}

}  // namespace mesh::model
