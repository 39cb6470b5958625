// A directory of Istio YAML and Kubernetes objects as a config source. Files
// (*.yaml, *.yml, *.json, recursively; names starting with "." skipped, like the
// "..data" links of a mounted ConfigMap) are decoded one by one. A file that
// fails validation is reported with `mesh validate`'s messages and its last good
// version stays in effect, so one bad edit never takes routes away.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "control/store.h"

namespace mesh::control {

class ConfigDir : public ConfigSource {
 public:
  explicit ConfigDir(std::string root) : root_(std::move(root)) {}

  // Re-reads the tree. Returns true when the objects in effect changed; problems
  // ("FILE:LINE:COL: ..." lines) are appended to `messages`.
  bool rescan(std::vector<std::string>& messages);
  // The root and every subdirectory, for the watcher.
  const std::vector<std::string>& directories() const { return directories_; }
  void contribute(model::ConfigSet& out) const override;

 private:
  struct File {
    uint64_t content_hash = 0;  // of the text last read (the text itself is not kept)
    bool seen = false;
    model::ConfigSet good;  // objects of the last version that validated
    bool has_good = false;
  };
  bool load_file(const std::string& path, const std::string& content, std::vector<std::string>& messages);

  std::string root_;
  std::map<std::string, File> files_;
  std::vector<std::string> directories_;
};

}  // namespace mesh::control
