// Placeholder for `mesh proxy`: replaced by the data-plane work.
#include "cmd/commands.h"

namespace mesh::cmd {
void add_proxy_command(CLI::App&, Action&) {}
}  // namespace mesh::cmd
