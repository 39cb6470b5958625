// Document walking for `mesh inject`: find the pod template of each workload
// kind, decide whether to inject it, and write every document back in order.
#include "inject/inject.h"

#include <fmt/format.h>

#include "inject/inject_internal.h"
#include "inject/yaml_emit.h"

namespace mesh::inject {
namespace {

using detail::child;
using detail::InputError;
using detail::PodTemplate;

// Where each workload kind keeps its pod template.
std::vector<std::string> template_path(const std::string& kind) {
  if (kind == "Pod") return {};
  if (kind == "CronJob") return {"spec", "jobTemplate", "spec", "template"};
  static const char* const kWithTemplate[] = {"Deployment", "StatefulSet",           "DaemonSet",
                                              "ReplicaSet", "ReplicationController", "Job"};
  for (const char* k : kWithTemplate) {
    if (kind == k) return {"spec", "template"};
  }
  return {"-"};  // not a workload
}

YAML::Mark mark_of(const YAML::Node& n, const YAML::Mark& fallback) {
  return n.IsDefined() && !n.Mark().is_null() ? n.Mark() : fallback;
}

YAML::Node require_map(const YAML::Node& parent, const std::string& key, const std::string& field,
                       const YAML::Mark& at) {
  YAML::Node n = child(parent, key);
  if (!n.IsDefined() || n.IsNull()) throw InputError(at, field, "required field is missing");
  if (!n.IsMap()) throw InputError(mark_of(n, at), field, "expected an object");
  return n;
}

// The template's metadata, created (as the first key) when absent.
YAML::Node template_meta(YAML::Node tmpl, const std::string& field) {
  YAML::Node meta = child(tmpl, "metadata");
  if (meta.IsMap()) return meta;
  if (meta.IsDefined() && !meta.IsNull()) {
    throw InputError(mark_of(meta, tmpl.Mark()), field + ".metadata", "expected an object");
  }
  YAML::Node rebuilt(YAML::NodeType::Map);
  rebuilt["metadata"] = YAML::Node(YAML::NodeType::Map);
  for (const auto& kv : tmpl) {
    if (kv.first.Scalar() != "metadata") rebuilt[kv.first] = kv.second;
  }
  tmpl = rebuilt;  // assignment rebinds the shared node, so the parent sees the new order
  return child(tmpl, "metadata");
}

struct Walker {
  const InjectOptions& options;
  const std::string& file;
  InjectResult& result;
  std::string object;  // "Kind/ns/name" of the document being processed

  void document(YAML::Node doc, const std::string& field);
  void workload(YAML::Node doc, const std::string& kind, const std::string& field);
  void pod(PodTemplate& pod);
  void warn(const YAML::Mark& mark, const std::string& message) {
    result.warnings.push_back(
        fmt::format("{}:{}:{}: warning: {}: {}", file, mark.line + 1, mark.column + 1, object, message));
  }
};

void Walker::document(YAML::Node doc, const std::string& field) {
  if (!doc.IsMap()) return;
  std::string kind = detail::scalar_at(doc, "kind");
  if (kind == "List") {
    YAML::Node items = child(doc, "items");
    if (!items.IsSequence()) return;
    for (size_t i = 0; i < items.size(); ++i) document(items[i], fmt::format("{}items[{}].", field, i));
    return;
  }
  if (template_path(kind) == std::vector<std::string>{"-"}) return;
  workload(doc, kind, field);
}

void Walker::workload(YAML::Node doc, const std::string& kind, const std::string& field) {
  PodTemplate pod;
  pod.kind = kind;
  pod.api_version = detail::scalar_at(doc, "apiVersion");
  YAML::Node meta = child(doc, "metadata");
  pod.name = detail::scalar_at(meta, "name");
  if (pod.name.empty()) pod.name = detail::scalar_at(meta, "generateName");
  pod.ns = detail::scalar_at(meta, "namespace");
  object = fmt::format("{}/{}/{}", kind, pod.ns.empty() ? "default" : pod.ns, pod.name);
  YAML::Node tmpl = doc;
  std::string path = field.empty() ? "" : field.substr(0, field.size() - 1);
  YAML::Mark at = doc.Mark();
  for (const auto& key : template_path(kind)) {
    path += (path.empty() ? "" : ".") + key;
    tmpl.reset(require_map(tmpl, key, path, at));  // rebind the handle; `=` would overwrite the node
    at = tmpl.Mark();
  }
  pod.field = path;
  pod.mark = at;
  pod.meta = template_meta(tmpl, path);
  pod.spec = require_map(tmpl, "spec", path.empty() ? "spec" : path + ".spec", at);
  this->pod(pod);
}

void Walker::pod(PodTemplate& pod) {
  switch (detail::decide(pod)) {
    case detail::Decision::kHostNetwork:
      warn(pod.mark, "pods with hostNetwork are not injected");
      return;
    case detail::Decision::kAlreadyInjected:
    case detail::Decision::kOptedOut:
      return;
    case detail::Decision::kInject:
      break;
  }
  detail::Settings settings = detail::read_settings(pod, options);
  nlohmann::ordered_json probers =
      settings.rewrite_probes ? detail::rewrite_probes(pod) : nlohmann::ordered_json::object();
  detail::add_sidecar(pod, settings, options, probers);
  ++result.injected;
}

std::string position(const std::string& file, const YAML::Mark& mark, const YAML::Mark& fallback) {
  const YAML::Mark& m = mark.is_null() ? fallback : mark;
  return fmt::format("{}:{}:{}", file, m.line + 1, m.column + 1);
}

std::string format_error(const std::string& file, const std::string& object, const InputError& e,
                         const YAML::Mark& doc_mark) {
  std::string where = position(file, e.mark, doc_mark);
  std::string prefix = object.empty() ? "" : object + ": ";
  if (!e.field.empty()) prefix += e.field + ": ";
  return fmt::format("{}: {}{}", where, prefix, e.what());
}

}  // namespace

namespace detail {

std::string scalar_at(const YAML::Node& map, const std::string& key) {
  YAML::Node n = child(map, key);
  return n.IsScalar() ? n.Scalar() : "";
}

}  // namespace detail

InjectResult inject_text(std::string_view text, const std::string& file_name, const InjectOptions& options) {
  InjectResult result;
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::ParserException& e) {
    result.error = fmt::format("{}:{}:{}: {}", file_name, e.mark.line + 1, e.mark.column + 1, e.msg);
    return result;
  }
  Walker walker{options, file_name, result, ""};
  std::string out;
  for (auto& doc : docs) {
    if (!doc.IsDefined() || doc.IsNull()) continue;  // empty documents carry nothing
    walker.object.clear();
    YAML::Mark doc_mark = doc.Mark();
    try {
      walker.document(doc, "");
    } catch (const InputError& e) {
      result.error = format_error(file_name, walker.object, e, doc_mark);
      return result;
    } catch (const YAML::Exception& e) {
      result.error = fmt::format("{}: {}{}", position(file_name, e.mark, doc_mark),
                                 walker.object.empty() ? "" : walker.object + ": ", e.msg);
      return result;
    }
    out += (out.empty() ? "" : "---\n") + emit_yaml(doc);
  }
  result.output = std::move(out);
  result.ok = true;
  return result;
}

}  // namespace mesh::inject
