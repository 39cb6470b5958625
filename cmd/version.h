// mesh version's entry point; registered in cmd/cli_tools.cc.
#pragma once

namespace mesh::cmd {

// Prints the mesh version and its libraries'.
int run_version();

}  // namespace mesh::cmd
