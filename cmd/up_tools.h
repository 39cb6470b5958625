// mesh apply / delete / get / logs: options and entry points; their flags are
// in cmd/cli_run.cc.
#pragma once

#include <string>
#include <vector>

namespace mesh::cmd {

struct UpToolOptions {
  std::vector<std::string> files;
  std::string profile = "default";
  std::string what, pod, container, ns;
  bool all_namespaces = false;
};

int run_apply(const UpToolOptions& o, bool remove);  // remove: mesh delete
int run_get(const UpToolOptions& o);
int run_logs(const UpToolOptions& o);

}  // namespace mesh::cmd
