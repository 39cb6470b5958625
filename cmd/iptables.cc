// mesh iptables: program a pod's traffic capture like Istio's istio-iptables
// (the init container's job). Same short and long flags, same defaults.
#include "cmd/iptables.h"

#include <sys/stat.h>

#include <cstdio>

#include "inject/iptables_apply.h"

namespace mesh::cmd {
namespace {

void print_dry_run(const inject::IptablesConfig& config, bool cleanup, bool with_ipv6) {
  for (const auto& tools : inject::family_tools(with_ipv6)) {
    auto rules = inject::build_rules(config, tools.family);
    std::string text =
        cleanup ? inject::render_cleanup(inject::render_as_saved(rules)) : inject::render_apply(rules, "");
    std::printf("# %s: %s --noflush\n%s", tools.family == inject::Family::kIPv4 ? "IPv4" : "IPv6",
                tools.restore.c_str(), text.c_str());
  }
}

// IPv6 is programmed only where the kernel has it (a host booted with
// ipv6.disable=1 has no ip6tables nat table to restore into).
bool kernel_has_ipv6() {
  struct stat st;
  return stat("/proc/sys/net/ipv6", &st) == 0;
}

}  // namespace

int run_iptables(const IptablesOptions& opts) {
  inject::IptablesConfig config;
  if (auto err = inject::validate_flags(opts.flags, config)) {
    std::fprintf(stderr, "mesh iptables: %s\n", err->c_str());
    return 2;
  }
  if (opts.dry_run) {
    print_dry_run(config, opts.cleanup, !opts.no_ipv6);
    return 0;
  }
  bool with_ipv6 = !opts.no_ipv6 && kernel_has_ipv6();
  inject::ProcessRunner runner;
  auto families = inject::family_tools(with_ipv6);
  auto result =
      opts.cleanup ? inject::cleanup_rules(families, runner) : inject::apply_rules(config, families, runner);
  if (!result.ok) {
    std::fprintf(stderr, "mesh iptables: %s\n", result.message.c_str());
    return 1;
  }
  return 0;
}

}  // namespace mesh::cmd
