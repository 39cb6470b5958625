#include "inject/up/stage.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/model/load.h"
#include "inject/yaml_emit.h"

namespace mesh::up {
namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string scalar(const YAML::Node& node, const char* key) {
  const YAML::Node v = node[key];
  return v && v.IsScalar() ? v.Scalar() : "";
}

// Records where `mesh.local/run` commands of this object's pod template run.
void add_workdir(YAML::Node doc, const std::string& dir) {
  YAML::Node spec = doc["spec"];
  if (!spec.IsMap() || !spec["template"].IsMap()) return;
  YAML::Node meta = spec["template"]["metadata"];
  if (!meta.IsMap() || !meta["annotations"].IsMap()) return;
  YAML::Node annotations = meta["annotations"];
  if (annotations["mesh.local/run"] && !annotations["mesh.local/workdir"])
    annotations["mesh.local/workdir"] = inject::string_node(dir);
}

void add_object(YAML::Node doc, const std::string& dir, std::vector<StagedObject>& out) {
  if (!doc.IsMap()) return;
  StagedObject o;
  o.api_version = scalar(doc, "apiVersion");
  o.kind = scalar(doc, "kind");
  if (o.kind == "List" && doc["items"].IsSequence()) {
    for (YAML::Node item : doc["items"]) add_object(item, dir, out);
    return;
  }
  YAML::Node meta = doc["metadata"];
  if (o.kind.empty() || !meta.IsMap()) return;
  o.name = scalar(meta, "name");
  o.ns = scalar(meta, "namespace");
  if (o.ns.empty() && o.kind != "Namespace") {
    o.ns = "default";
    meta["namespace"] = inject::string_node("default");
  }
  if (o.name.empty()) return;
  add_workdir(doc, dir);
  o.node = doc;
  out.push_back(std::move(o));
}

bool write_atomically(const fs::path& path, const std::string& text, std::string& error) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  const fs::path tmp = path.string() + ".tmp" + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f.flush()) {
      error = tmp.string() + ": cannot write";
      return false;
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) error = path.string() + ": " + ec.message();
  return !ec;
}

std::string slurp(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace

std::string StagedObject::display() const {
  const size_t slash = api_version.find('/');
  const std::string group = slash == std::string::npos ? "" : "." + api_version.substr(0, slash);
  return lower(kind) + group + "/" + name;
}

std::string StagedObject::file() const {
  std::string safe = name;
  std::replace(safe.begin(), safe.end(), '/', '_');
  return (ns.empty() ? "_cluster" : ns) + "/" + lower(kind) + "-" + safe + ".yaml";
}

bool read_inputs(const std::vector<std::string>& paths, std::vector<InputFile>& out, std::string& error) {
  std::vector<model::SourceText> sources;
  model::Diagnostics diags;
  model::read_paths(paths, sources, diags);
  for (const auto& d : diags.items()) error += (error.empty() ? "" : "\n") + d.format();
  if (diags.has_errors()) return false;
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  for (model::SourceText& s : sources) {
    // Commands from stdin run in the working directory, as for a file there.
    const fs::path dir = s.name == "<stdin>" ? cwd : fs::absolute(s.name, ec).parent_path();
    out.push_back({std::move(s.name), std::move(s.text), dir.string()});
  }
  return true;
}

void validate_inputs(const std::vector<InputFile>& inputs, model::Diagnostics& diags) {
  model::ConfigSet config;
  for (const InputFile& in : inputs) model::load_text(in.text, in.name, model::LoadOptions{}, config, diags);
}

std::vector<StagedObject> objects_of(const std::vector<InputFile>& inputs) {
  std::vector<StagedObject> out;
  for (const InputFile& in : inputs) {
    for (YAML::Node doc : YAML::LoadAll(in.text)) add_object(doc, in.dir, out);
  }
  return out;
}

bool stage(const std::vector<StagedObject>& objects, const std::string& config_dir,
           std::vector<std::string>& lines, std::string& error) {
  for (const StagedObject& o : objects) {
    const fs::path path = fs::path(config_dir) / o.file();
    const std::string text = "# " + o.display() + "\n" + inject::emit_yaml(o.node);
    std::error_code ec;
    const bool existed = fs::exists(path, ec);
    if (existed && slurp(path) == text) {
      lines.push_back(o.display() + " unchanged");
      continue;
    }
    if (!write_atomically(path, text, error)) return false;
    lines.push_back(o.display() + (existed ? " configured" : " created"));
  }
  return true;
}

void unstage(const std::vector<StagedObject>& objects, const std::string& config_dir,
             std::vector<std::string>& lines) {
  for (const StagedObject& o : objects) {
    std::error_code ec;
    const bool removed = fs::remove(fs::path(config_dir) / o.file(), ec);
    const std::string what = o.display();
    const size_t slash = what.find('/');
    lines.push_back(removed ? what.substr(0, slash) + " \"" + o.name + "\" deleted"
                            : "Error: " + what.substr(0, slash) + " \"" + o.name + "\" not found");
  }
}

}  // namespace mesh::up
