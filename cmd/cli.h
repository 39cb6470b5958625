// The subcommands' registrations on the CLI11 app. CLI11 is header-only and
// costs ~10 s of compile time in every file that includes it, so only main.cc,
// cli_tools.cc and cli_run.cc do; each command's logic lives in its own file
// behind a header with its options struct and entry function (cmd/status.h, ...).
// Each registration sets `run` to the chosen subcommand's entry function.
// Exit codes: 0 ok, 1 failure, 2 usage error.
#pragma once

#include <functional>

namespace CLI {
class App;
}  // namespace CLI

namespace mesh::cmd {

using Action = std::function<int()>;

// cli_tools.cc
void add_version_command(CLI::App& app, Action& run);
void add_validate_command(CLI::App& app, Action& run);
void add_routes_command(CLI::App& app, Action& run);
void add_iptables_command(CLI::App& app, Action& run);
void add_inject_command(CLI::App& app, Action& run);
void add_control_command(CLI::App& app, Action& run);
void add_status_command(CLI::App& app, Action& run);
void add_podnet_command(CLI::App& app, Action& run);

// cli_run.cc
void add_proxy_command(CLI::App& app, Action& run);     // proxy, proxy sidecar|drain|wait
void add_up_commands(CLI::App& app, Action& run);       // up, down, demo
void add_up_tool_commands(CLI::App& app, Action& run);  // apply, delete, get, logs

}  // namespace mesh::cmd
