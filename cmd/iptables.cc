// mesh iptables: program a pod's traffic capture like Istio's istio-iptables
// (the init container's job). Same short and long flags, same defaults.
#include <sys/stat.h>

#include <cstdio>
#include <memory>

#include "cmd/commands.h"
#include "inject/iptables.h"
#include "inject/iptables_apply.h"

namespace mesh::cmd {
namespace {

struct IptablesOptions {
  inject::IptablesFlags flags;
  bool dry_run = false;
  bool cleanup = false;
  bool no_ipv6 = false;
};

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

void add_capture_flags(CLI::App* sub, inject::IptablesFlags& f) {
  sub->add_option("-p,--envoy-port", f.outbound_capture_port, "Port outbound TCP is redirected to")
      ->capture_default_str();
  sub->add_option("-z,--inbound-capture-port", f.inbound_capture_port, "Port inbound TCP is redirected to")
      ->capture_default_str();
  sub->add_option("-u,--proxy-uid", f.proxy_uid, "User id(s) of the proxy, never captured")
      ->capture_default_str();
  sub->add_option("-g,--proxy-gid", f.proxy_gid, "Group id(s) of the proxy, never captured")
      ->capture_default_str();
  sub->add_option("-m,--istio-inbound-interception-mode", f.mode, "Inbound capture mode (REDIRECT)")
      ->capture_default_str();
  sub->add_option("-i,--istio-service-cidr", f.include_outbound_cidrs,
                  "Outbound CIDRs to capture, comma separated; '*' all, '' none")
      ->capture_default_str();
  sub->add_option("-x,--istio-service-exclude-cidr", f.exclude_outbound_cidrs,
                  "Outbound CIDRs never captured");
  sub->add_option("-b,--istio-inbound-ports", f.include_inbound_ports,
                  "Inbound ports to capture, comma separated; '*' all, '' none")
      ->capture_default_str();
  sub->add_option("-d,--istio-local-exclude-ports", f.exclude_inbound_ports,
                  "Inbound ports never captured (with -b '*')")
      ->capture_default_str();
  sub->add_option("-o,--istio-local-outbound-ports-exclude", f.exclude_outbound_ports,
                  "Outbound ports never captured");
  sub->add_option("-q,--istio-outbound-ports", f.include_outbound_ports,
                  "Outbound ports always captured, whatever the destination");
  sub->add_flag("--redirect-dns", f.redirect_dns, "Also redirect DNS (port 53) to the proxy's DNS port");
  sub->add_option("--dns-capture-port", f.dns_capture_port, "Port DNS is redirected to with --redirect-dns")
      ->capture_default_str();
}

}  // namespace

void add_iptables_command(CLI::App& app, Action& run) {
  auto opts = std::make_shared<IptablesOptions>();
  CLI::App* sub = app.add_subcommand("iptables", "Set up a pod's traffic capture (nat table, IPv4 and IPv6)");
  add_capture_flags(sub, opts->flags);
  sub->add_flag("-n,--dry-run", opts->dry_run, "Print the iptables-restore input; change nothing");
  sub->add_flag("--cleanup", opts->cleanup, "Remove the chains and jump rules this command adds");
  sub->add_flag("--no-ipv6", opts->no_ipv6, "Program IPv4 only");
  sub->callback([&run, opts] { run = [opts] { return run_iptables(*opts); }; });
}

}  // namespace mesh::cmd
