// mesh up / demo / down: options and entry points; their flags are in cmd/cli_run.cc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mesh::cmd {

struct UpCommandOptions {
  std::vector<std::string> files;
  std::string profile = "default";
  bool detach = false;
  std::string timeout = "120s";
  bool ephemeral_ports = false;
  uint16_t control_port = 15010;
  std::string samples;  // mesh demo
  bool foreground = false;  // mesh demo
};

int run_up(const UpCommandOptions& o);
int run_demo(UpCommandOptions o);
int run_down(const std::string& profile);

}  // namespace mesh::cmd
