// mesh podnet's options and entry points; its flags are in cmd/main.cc.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace mesh::cmd {

struct PodnetOptions {
  std::string run_id;
  pid_t owner = 0;
  std::string gateway = "10.244.0.1";
  std::vector<std::string> pods, hosts;  // NAME=IP
  std::string pod;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<std::string> command;
  bool stale = false;
};

int run_podnet_create(const PodnetOptions& o);
int run_podnet_exec(const PodnetOptions& o);
int run_podnet_cleanup(const PodnetOptions& o);

}  // namespace mesh::cmd
