// mesh version's entry point; registered in cmd/main.cc.
#pragma once

namespace mesh::cmd {

// Prints the mesh version and its libraries'.
int run_version();

}  // namespace mesh::cmd
