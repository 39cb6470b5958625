// mesh validate: decode and check config like `istioctl validate` + `analyze`.
#include "cmd/validate.h"

#include <cstdio>

#include "core/model/analyze.h"
#include "core/model/load.h"

namespace mesh::cmd {
namespace {

size_t object_count(const model::ConfigSet& s) {
  return s.virtual_services.size() + s.destination_rules.size() + s.gateways.size() +
         s.service_entries.size() + s.workload_entries.size() + s.sidecars.size() +
         s.peer_authentications.size() + s.authorization_policies.size() +
         s.request_authentications.size() + s.namespaces.size() + s.services.size() +
         s.service_accounts.size() + s.pods.size() + s.workloads.size() + s.endpoint_slices.size();
}

}  // namespace

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

}  // namespace mesh::cmd
