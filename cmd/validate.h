// mesh validate's options and entry point; its flags are in cmd/main.cc.
#pragma once

#include <string>
#include <vector>

namespace mesh::cmd {

struct ValidateOptions {
  std::vector<std::string> files;
  bool quiet = false;
};

int run_validate(const ValidateOptions& opts);

}  // namespace mesh::cmd
