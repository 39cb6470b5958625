// mesh inject's options and entry point; its flags are in cmd/main.cc.
#pragma once

#include <string>

#include "inject/inject.h"

namespace mesh::cmd {

struct InjectCmdOptions {
  std::string file;
  std::string output;
  inject::InjectOptions inject;
};

int run_inject(const InjectCmdOptions& opts);

}  // namespace mesh::cmd
