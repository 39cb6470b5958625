// Placeholder for `mesh routes`: replaced by the translation work.
#include "cmd/commands.h"

namespace mesh::cmd {
void add_routes_command(CLI::App&, Action&) {}
}  // namespace mesh::cmd
