// mesh control: the control plane (istiod's job), config from a watched directory.
#include "cmd/control.h"

#include <cstdio>

namespace mesh::cmd {

int run_control(const control::ControlOptions& o) {
  control::Server server(o);
  std::string error;
  if (!server.start(error)) {
    std::fprintf(stderr, "mesh control: %s\n", error.c_str());
    return 1;
  }
  return server.run();
}

}  // namespace mesh::cmd
