#include <cstdio>

#include "cmd/commands.h"

namespace mesh::cmd {

void add_version_command(CLI::App& app, Action& run) {
  CLI::App* sub = app.add_subcommand("version", "Print the mesh version");
  sub->callback([&run] {
    run = [] {
      std::printf("mesh version %s\n", MESH_VERSION);
      return 0;
    };
  });
}

}  // namespace mesh::cmd
