// The subcommands' flags, registered on the CLI11 app. CLI11 is header-only and
// costs ~7 s (-O0) to ~14 s (-O2 -g) of compile time in every file that includes
// it, so only main.cc (the app and the tools' flags) and cli_run.cc (the flags of
// proxy and the local mesh) do. Each command's logic lives in its own file
// behind a header with its options struct and entry function (cmd/status.h, ...).
// A registration sets `run` to the chosen subcommand's entry function.
// Exit codes: 0 ok, 1 failure, 2 usage error.
#pragma once

#include <functional>

namespace CLI {
class App;
}  // namespace CLI

namespace mesh::cmd {

using Action = std::function<int()>;

// cli_run.cc
void add_proxy_command(CLI::App& app, Action& run);     // proxy, proxy sidecar|drain|wait
void add_up_commands(CLI::App& app, Action& run);       // up, down, demo
void add_up_tool_commands(CLI::App& app, Action& run);  // apply, delete, get, logs

}  // namespace mesh::cmd
