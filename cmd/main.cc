// mesh: one binary, many roles. Flags are parsed here; work is done by the
// entry function each subcommand registers.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "cmd/cli.h"

int main(int argc, char** argv) {
  CLI::App app{"mesh: a service mesh for Kubernetes that reads Istio's config, in one binary", "mesh"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  mesh::cmd::Action run;
  mesh::cmd::add_version_command(app, run);
  mesh::cmd::add_validate_command(app, run);
  mesh::cmd::add_routes_command(app, run);
  mesh::cmd::add_proxy_command(app, run);
  mesh::cmd::add_iptables_command(app, run);
  mesh::cmd::add_inject_command(app, run);
  mesh::cmd::add_control_command(app, run);
  mesh::cmd::add_status_command(app, run);
  mesh::cmd::add_podnet_command(app, run);
  mesh::cmd::add_up_commands(app, run);
  mesh::cmd::add_up_tool_commands(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return run ? run() : 2;
}
