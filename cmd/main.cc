// mesh: one binary, many roles. Flags are parsed here; work is done by the
// entry function each subcommand registers. The flags of the tools (version,
// validate, routes, iptables, inject, control, status, podnet) are registered
// here too, those of proxy and the local mesh in cli_run.cc: <CLI/CLI.hpp> costs
// ~7 s (-O0) to ~14 s (-O2 -g) of compile time in every file that includes it,
// so only these two do (see cmd/cli.h).
#include <cstdio>
#include <memory>

#include <CLI/CLI.hpp>

#include "cmd/cli.h"
#include "cmd/control.h"
#include "cmd/inject.h"
#include "cmd/iptables.h"
#include "cmd/podnet.h"
#include "cmd/routes.h"
#include "cmd/status.h"
#include "cmd/validate.h"
#include "cmd/version.h"

namespace mesh::cmd {
namespace {

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

void add_version_command(CLI::App& app, Action& run) {
  CLI::App* sub = app.add_subcommand("version", "Print the mesh version and its libraries");
  sub->callback([&run] { run = [] { return run_version(); }; });
}

void add_validate_command(CLI::App& app, Action& run) {
  auto opts = std::make_shared<ValidateOptions>();
  CLI::App* sub = app.add_subcommand("validate", "Validate Istio and Kubernetes config files");
  sub->add_option("-f,--filename", opts->files, "Files or directories to validate, - for stdin")
      ->required()
      ->expected(1, -1);
  sub->add_flag("-q,--quiet", opts->quiet, "Print only problems");
  sub->callback([&run, opts] { run = [opts] { return run_validate(*opts); }; });
}

void add_routes_command(CLI::App& app, Action& run) {
  auto opts = std::make_shared<RoutesOptions>();
  CLI::App* sub = app.add_subcommand(
      "routes", "Show a proxy's routes: from config files (-f, offline) or live (NAME or --proxy)");
  auto* files = sub->add_option("-f,--filename", opts->files, "Files or directories with config, - for stdin")
                    ->expected(1, -1);
  auto* name = sub->add_option("name", opts->name,
                               "Live: a pod (NAMESPACE/NAME) or Deployment connected to `mesh control`");
  sub->add_option("--control", opts->control,
                  "Live: the control plane ADDR:PORT (default: the local mesh's, else 127.0.0.1:15010)");
  sub->add_option("-p,--profile", opts->profile, "Live: which local mesh (mesh up)")->capture_default_str();
  auto* proxy = sub->add_option("--proxy", opts->proxy, "Live: a proxy's admin ADDR:PORT (its /config_dump)");
  files->excludes(name)->excludes(proxy);
  name->excludes(proxy);
  auto* workload = sub->add_option("--workload", opts->workload, "Sidecar of this workload (NAMESPACE/NAME)");
  auto* gateway = sub->add_option("--gateway", opts->gateway, "Gateway proxy (NAMESPACE/NAME)");
  workload->excludes(gateway);
  sub->add_option("-o,--output", opts->output, "Output format")
      ->check(CLI::IsMember({"table", "json", "yaml"}));
  sub->add_option("--explain", opts->explain, "Explain which route serves 'METHOD URL'");
  sub->add_option("-H,--header", opts->headers, "Request header 'Name: value' for --explain");
  auto* from =
      sub->add_option("--from", opts->from, "Workload whose sidecar sends the request (NAMESPACE/NAME)");
  from->excludes(gateway);
  sub->add_option("--bench-sidecars", opts->bench_sidecars, "")->group("");
  sub->callback([&run, opts] { run = [opts] { return run_routes(*opts); }; });
}

void add_iptables_command(CLI::App& app, Action& run) {
  auto opts = std::make_shared<IptablesOptions>();
  CLI::App* sub = app.add_subcommand("iptables", "Set up a pod's traffic capture (nat table, IPv4 and IPv6)");
  add_capture_flags(sub, opts->flags);
  sub->add_flag("-n,--dry-run", opts->dry_run, "Print the iptables-restore input; change nothing");
  sub->add_flag("--cleanup", opts->cleanup, "Remove the chains and jump rules this command adds");
  sub->add_flag("--no-ipv6", opts->no_ipv6, "Program IPv4 only");
  sub->callback([&run, opts] { run = [opts] { return run_iptables(*opts); }; });
}

void add_inject_command(CLI::App& app, Action& run) {
  auto opts = std::make_shared<InjectCmdOptions>();
  opts->inject.image = "mesh:" MESH_VERSION;
  opts->inject.control = "mesh-control.mesh-system.svc:15012";
  CLI::App* sub = app.add_subcommand("inject", "Add the mesh sidecar to workloads in Kubernetes manifests");
  sub->add_option("-f,--filename", opts->file, "Manifest file (YAML or JSON), - for stdin")->required();
  sub->add_option("-o,--output", opts->output, "Write here instead of stdout (replaced only on success)");
  sub->add_option("--image", opts->inject.image, "Image of the init and sidecar containers")
      ->capture_default_str();
  sub->add_option("--control", opts->inject.control, "Control plane address for the sidecar")
      ->capture_default_str();
  sub->add_flag("--native-sidecar", opts->inject.native_sidecar,
                "Run the sidecar as a native sidecar (initContainers, restartPolicy: Always)");
  sub->callback([&run, opts] { run = [opts] { return run_inject(*opts); }; });
}

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

void add_status_command(CLI::App& app, Action& run) {
  auto o = std::make_shared<StatusOptions>();
  CLI::App* sub = app.add_subcommand("status", "Show every proxy connected to the control plane and its sync state");
  sub->add_option("--control", o->control, "The control plane, ADDR:PORT (default: the local mesh's, else 127.0.0.1:15010)");
  sub->add_option("-p,--profile", o->profile, "Which local mesh (mesh up)")->capture_default_str();
  sub->add_option("-o,--output", o->output, "Output format")->check(CLI::IsMember({"table", "json"}));
  sub->callback([&run, o] { run = [o] { return run_status(*o); }; });
}

void add_podnet_command(CLI::App& app, Action& run) {
  auto o = std::make_shared<PodnetOptions>();
  CLI::App* top = app.add_subcommand("podnet", "Pod network harness (tests, mesh up)")->group("");
  top->require_subcommand(1);
  CLI::App* create = top->add_subcommand("create", "Create a node namespace, a bridge and pods");
  create->add_option("--run", o->run_id, "Run id ([a-z0-9], at most 8; default random)");
  create->add_option("--owner", o->owner,
                     "Pid whose exit makes the run stale (default: the calling process)");
  create->add_option("--gateway", o->gateway, "Bridge address; pods use its /24")->capture_default_str();
  create->add_option("--pod", o->pods, "NAME=ADDRESS")->required();
  create->add_option("--host", o->hosts, "NAME=ADDRESS for every pod's /etc/hosts");
  create->callback([&run, o] { run = [o] { return run_podnet_create(*o); }; });
  CLI::App* exec = top->add_subcommand("exec", "Run a command inside a pod");
  exec->add_option("--run", o->run_id, "Run id")->required();
  exec->add_option("--pod", o->pod, "Pod name")->required();
  exec->add_option("--uid", o->uid, "User id to run as");
  exec->add_option("--gid", o->gid, "Group id to run as");
  exec->add_option("command", o->command, "Command and arguments (after --)")->required();
  exec->callback([&run, o] { run = [o] { return run_podnet_exec(*o); }; });
  CLI::App* cleanup = top->add_subcommand("cleanup", "Remove a run's namespaces, processes and files");
  cleanup->add_option("--run", o->run_id, "Run id");
  cleanup->add_flag("--stale", o->stale, "Also remove every run whose owner process is gone");
  cleanup->callback([&run, o] { run = [o] { return run_podnet_cleanup(*o); }; });
}

}  // namespace
}  // namespace mesh::cmd

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
