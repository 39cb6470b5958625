// mesh status's options and entry point; its flags are in cmd/main.cc.
#pragma once

#include <string>

namespace mesh::cmd {

struct StatusOptions {
  std::string control;  // "" = the local mesh's, else 127.0.0.1:15010
  std::string profile = "default";
  std::string output = "table";
};

int run_status(const StatusOptions& o);

}  // namespace mesh::cmd
