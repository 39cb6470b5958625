// mesh control: the control plane (istiod's job), config from a watched directory.
#include <cstdio>
#include <memory>

#include "cmd/commands.h"
#include "control/server.h"

namespace mesh::cmd {
namespace {

int run_control(const control::ControlOptions& o) {
  control::Server server(o);
  std::string error;
  if (!server.start(error)) {
    std::fprintf(stderr, "mesh control: %s\n", error.c_str());
    return 1;
  }
  return server.run();
}

}  // namespace

void add_control_command(CLI::App& app, Action& run) {
  auto o = std::make_shared<control::ControlOptions>();
  CLI::App* sub = app.add_subcommand("control", "Run the control plane: watch config, push it to proxies");
  sub->add_option("--config-dir", o->config_dir, "Directory of Istio YAML and Kubernetes objects (watched)")
      ->required()
      ->check(CLI::ExistingDirectory);
  sub->add_option("--listen", o->listen, "Proxy streams and the HTTP debug endpoint, ADDR:PORT")
      ->capture_default_str();
  sub->add_option("--debounce-ms", o->debounce_ms, "Quiet time after a file change before pushing")
      ->capture_default_str();
  sub->add_option("--ready-file", o->ready_file, "Write the bound port here as JSON once serving");
  sub->callback([&run, o] { run = [o] { return run_control(*o); }; });
}

}  // namespace mesh::cmd
