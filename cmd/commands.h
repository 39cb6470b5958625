// Each subcommand registers its flags on the CLI11 app and, when chosen, sets
// `run` to its entry function. Exit codes: 0 ok, 1 failure, 2 usage error.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace mesh::cmd {

using Action = std::function<int()>;

void add_version_command(CLI::App& app, Action& run);
void add_validate_command(CLI::App& app, Action& run);
void add_routes_command(CLI::App& app, Action& run);
void add_proxy_command(CLI::App& app, Action& run);
void add_iptables_command(CLI::App& app, Action& run);
void add_inject_command(CLI::App& app, Action& run);
void add_control_command(CLI::App& app, Action& run);
void add_status_command(CLI::App& app, Action& run);
void add_podnet_command(CLI::App& app, Action& run);
void add_up_commands(CLI::App& app, Action& run);       // up, down, demo
void add_up_tool_commands(CLI::App& app, Action& run);  // apply, delete, get, logs

}  // namespace mesh::cmd
