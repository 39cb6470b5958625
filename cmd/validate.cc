// mesh validate: decode and check config like `istioctl validate` + `analyze`.
#include <cstdio>
#include <memory>

#include "cmd/commands.h"
#include "core/model/analyze.h"
#include "core/model/load.h"

namespace mesh::cmd {
namespace {

struct ValidateOptions {
  std::vector<std::string> files;
  bool quiet = false;
};

size_t object_count(const model::ConfigSet& s) {
  return s.virtual_services.size() + s.destination_rules.size() + s.gateways.size() +
         s.service_entries.size() + s.workload_entries.size() + s.sidecars.size() +
         s.peer_authentications.size() + s.authorization_policies.size() +
         s.request_authentications.size() + s.namespaces.size() + s.services.size() +
         s.service_accounts.size() + s.pods.size() + s.workloads.size() + s.endpoint_slices.size();
}

int run_validate(const ValidateOptions& opts) {
  model::ConfigSet config;
  model::Diagnostics diags;
  model::load_paths(opts.files, model::LoadOptions{}, config, diags);
  model::analyze(config, diags);
  diags.sort();
  for (const auto& d : diags.items()) std::fprintf(stderr, "%s\n", d.format().c_str());
  if (diags.has_errors()) {
    std::fprintf(stderr, "%zu error(s), %zu warning(s)\n", diags.error_count(), diags.warning_count());
    return 1;
  }
  if (!opts.quiet) {
    std::printf("%zu object(s) valid, %zu warning(s)\n", object_count(config), diags.warning_count());
  }
  return 0;
}

}  // namespace

void add_validate_command(CLI::App& app, Action& run) {
  auto opts = std::make_shared<ValidateOptions>();
  CLI::App* sub = app.add_subcommand("validate", "Validate Istio and Kubernetes config files");
  sub->add_option("-f,--filename", opts->files, "Files or directories to validate, - for stdin")
      ->required()
      ->expected(1, -1);
  sub->add_flag("-q,--quiet", opts->quiet, "Print only problems");
  sub->callback([&run, opts] { run = [opts] { return run_validate(*opts); }; });
}

}  // namespace mesh::cmd
