#include "control/config_dir.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/model/hash.h"
#include "core/model/load.h"

namespace mesh::control {
namespace {

namespace fs = std::filesystem;

bool is_config_file(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

// Every config file and directory under root; no exceptions (error_code overloads).
void walk(const fs::path& root, std::set<std::string>& files, std::vector<std::string>& dirs) {
  std::error_code ec;
  dirs.push_back(root.string());
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.filename().string().starts_with(".")) continue;
    std::error_code type_ec;
    if (it->is_directory(type_ec)) {
      walk(p, files, dirs);
    } else if (it->is_regular_file(type_ec) && is_config_file(p)) {
      files.insert(p.string());
    }
  }
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return true;
}

}  // namespace

bool ConfigDir::load_file(const std::string& path, const std::string& content, std::vector<std::string>& messages) {
  File& f = files_[path];
  const uint64_t hash = model::fnv1a(content);
  if (f.seen && f.content_hash == hash) return false;
  f.seen = true;
  f.content_hash = hash;
  model::ConfigSet set;
  model::Diagnostics diags;
  model::load_text(content, path, model::LoadOptions{}, set, diags);
  diags.sort();
  for (const auto& d : diags.items()) messages.push_back(d.format());
  if (diags.has_errors()) {
    messages.push_back(path + ": not applied" +
                       std::string(f.has_good ? "; its last good version stays in effect" : ""));
    return false;
  }
  f.good = std::move(set);
  f.has_good = true;
  return true;
}

bool ConfigDir::rescan(std::vector<std::string>& messages) {
  std::set<std::string> paths;
  directories_.clear();
  walk(root_, paths, directories_);
  bool changed = false;
  for (auto it = files_.begin(); it != files_.end();) {
    if (paths.count(it->first)) {
      ++it;
      continue;
    }
    changed = changed || it->second.has_good;
    it = files_.erase(it);
  }
  for (const std::string& path : paths) {
    std::string content;
    if (!read_file(path, content)) {
      messages.push_back(path + ": cannot read");
      continue;
    }
    changed = load_file(path, content, messages) || changed;
  }
  return changed;
}

void ConfigDir::contribute(model::ConfigSet& out) const {
  for (const auto& [path, file] : files_) {
    if (file.has_good) append(out, file.good);
  }
}

}  // namespace mesh::control
