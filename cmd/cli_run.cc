// The flags of mesh proxy (and proxy sidecar, drain, wait), up, demo, down,
// apply, delete, get and logs. Registrations live apart from the commands'
// logic because <CLI/CLI.hpp> costs ~7-14 s of compile time in every file that
// includes it: see cmd/cli.h.
#include "cmd/cli.h"

#include <memory>

#include <CLI/CLI.hpp>

#include "cmd/proxy.h"
#include "cmd/proxy_control.h"
#include "cmd/proxy_sidecar.h"
#include "cmd/up.h"
#include "cmd/up_tools.h"

namespace mesh::cmd {
namespace {

void add_control_flags(CLI::App* sub, ControlFlags& f) {
  sub->add_option("--control", f.address, "Take config from `mesh control` at ADDR:PORT (e.g. 127.0.0.1:15010)");
  sub->add_option("--pod-name", f.pod_name, "This pod's name (default: $POD_NAME, or --workload/--gateway)");
  sub->add_option("--pod-namespace", f.pod_namespace, "This pod's namespace (default: $POD_NAMESPACE)");
  sub->add_option("--pod-ip", f.pod_ip, "This pod's IP (default: $POD_IP)");
  sub->add_option("--service-account", f.service_account, "This pod's service account (default: $SERVICE_ACCOUNT)");
  sub->add_option("--pod-label", f.labels, "This pod's labels, KEY=VALUE (repeatable)");
  sub->add_option("--pod-port", f.ports, "The application's ports, [NAME:]NUMBER (repeatable)");
}

void add_sidecar(CLI::App& proxy_cmd, Action& run) {
  auto o = std::make_shared<SidecarOptions>();
  o->proxy.admin_port = 15000;
  o->proxy.health_port = 15021;
  CLI::App* sub =
      proxy_cmd.add_subcommand("sidecar", "Run as a pod's sidecar: transparent capture on 15001/15006");
  add_control_flags(sub, o->control);
  sub->add_option("-c,--config", o->files.files, "Istio YAML and Kubernetes objects; SIGHUP reloads")
      ->expected(1, -1);
  sub->add_option("--workload", o->files.workload,
                  "Serve as pod NAMESPACE/NAME (default: POD_NAMESPACE/POD_NAME)");
  sub->add_option("--concurrency", o->proxy.concurrency, "Worker threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  sub->add_option("--log-level", o->log_level, "Log level (accepted for Istio compatibility)");
  sub->add_option("--capture-address", o->capture_address, "Address of the capture and probe listeners")
      ->capture_default_str();
  sub->add_option("--outbound-port", o->outbound_port, "Outbound capture port (iptables -p)")
      ->capture_default_str();
  sub->add_option("--inbound-port", o->inbound_port, "Inbound capture port (iptables -z)")
      ->capture_default_str();
  sub->add_option("--admin-port", o->proxy.admin_port, "Admin port on 127.0.0.1")->capture_default_str();
  sub->add_option("--health-port", o->proxy.health_port, "Health port (/healthz/ready)")
      ->capture_default_str();
  sub->add_option("--app-health-port", o->app_health_port,
                  "Application probe port (/app-health/...; -1: off)")
      ->capture_default_str();
  sub->add_option("--ready-file", o->proxy.ready_file, "Write the bound ports here as JSON once serving");
  sub->add_option("--drain-seconds", o->proxy.drain_seconds,
                  "How long in-flight requests may finish on SIGTERM")
      ->capture_default_str();
  sub->callback([&run, o] { run = [o] { return run_sidecar(*o); }; });
}

void add_client(CLI::App& proxy_cmd, Action& run, bool wait) {
  auto o = std::make_shared<ProxyClientOptions>();
  o->port = wait ? 15021 : 15000;
  o->timeout_s = wait ? 60 : 5;
  CLI::App* sub = wait ? proxy_cmd.add_subcommand("wait", "Wait until the sidecar is ready (postStart hook)")
                       : proxy_cmd.add_subcommand("drain", "Make the sidecar drain (preStop hook)");
  sub->add_option(wait ? "--health-port" : "--admin-port", o->port, "Port on 127.0.0.1")
      ->capture_default_str();
  sub->add_option("--timeout-seconds", o->timeout_s, "Give up after this long")->capture_default_str();
  if (wait) sub->add_option("--period-millis", o->period_ms, "Time between attempts")->capture_default_str();
  sub->callback([&run, o, wait] {
    run = [o, wait] { return wait ? run_proxy_wait(*o) : run_proxy_drain(*o); };
  });
}

void add_proxy_subcommands(CLI::App& proxy_cmd, Action& run) {
  add_sidecar(proxy_cmd, run);
  add_client(proxy_cmd, run, false);
  add_client(proxy_cmd, run, true);
}

void add_common(CLI::App* sub, UpCommandOptions& o) {
  sub->add_option("-p,--profile", o.profile, "Which local mesh (several can run side by side)")
      ->capture_default_str();
  sub->add_option("--timeout", o.timeout, "With -d: give up when not ready after this long")->capture_default_str();
  sub->add_flag("--ephemeral-ports", o.ephemeral_ports,
                "Listen on kernel-chosen ports on 127.0.0.1 (printed) instead of the Gateway's and 15010");
  sub->add_option("--control-port", o.control_port, "Port of the control plane on 127.0.0.1")
      ->capture_default_str();
}

void add_profile(CLI::App* sub, UpToolOptions& o) {
  sub->add_option("-p,--profile", o.profile, "Which local mesh")->capture_default_str();
}

}  // namespace

void add_proxy_command(CLI::App& app, Action& run) {
  auto o = std::make_shared<ProxyCommandOptions>();
  CLI::App* sub = app.add_subcommand("proxy", "Run the HTTP data plane (standalone, config from files)");
  sub->add_option("-c,--config", o->files,
                  "Istio YAML and Kubernetes objects (files or directories); reloaded on change and on SIGHUP")
      ->expected(1, -1);
  sub->add_option("--listen", o->proxy.listen,
                  "HTTP listener ADDR:PORT, or 'config': every HTTP listener of the config, opened and "
                  "closed as it changes (gateways)")
      ->capture_default_str();
  sub->add_flag("--ephemeral-listeners", o->proxy.ephemeral_listeners,
                "With --listen config: bind each listener at port 0 (tests; see --ready-file, /listeners)");
  sub->add_option("--route-table", o->proxy.route_table,
                  "Route table the listener serves (default: http.PORT, then PORT, then the first)");
  sub->add_option("--gateway", o->gateway,
                  "Serve as the gateway NAMESPACE/NAME (its Gateway's selector labels)");
  sub->add_option("--workload", o->workload, "Serve as the sidecar of pod NAMESPACE/NAME");
  sub->add_option("--concurrency", o->proxy.concurrency, "Worker threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  sub->add_option("--admin-port", o->proxy.admin_port, "Admin port on 127.0.0.1 (0: any free port, -1: off)")
      ->capture_default_str();
  sub->add_option("--health-port", o->proxy.health_port, "Health port for /healthz/ready (0: any, -1: off)")
      ->capture_default_str();
  sub->add_option("--health-address", o->proxy.health_address, "Health listener address")
      ->capture_default_str();
  sub->add_option("--ready-file", o->proxy.ready_file, "Write the bound ports here as JSON once serving");
  sub->add_option("--drain-seconds", o->proxy.drain_seconds,
                  "On SIGTERM, how long in-flight requests may finish")
      ->capture_default_str();
  sub->add_option("--request-header-timeout", o->header_timeout_s,
                  "Seconds for a request head to arrive (408)")
      ->capture_default_str();
  sub->add_option("--idle-timeout", o->idle_timeout_s, "Seconds an idle client connection is kept")
      ->capture_default_str();
  sub->add_option("--access-log", o->proxy.access_log,
                  "Access log in Envoy's default format: a file (appended to) or - for stdout; off when unset");
  sub->add_option("--connect-timeout", o->connect_timeout_s, "Default upstream connect timeout in seconds")
      ->capture_default_str();
  add_control_flags(sub, o->control);
  sub->callback([&run, o, sub] {
    if (sub->get_subcommands().empty()) run = [o] { return run_proxy(*o); };
  });
  add_proxy_subcommands(*sub, run);
}

void add_up_commands(CLI::App& app, Action& run) {
  auto o = std::make_shared<UpCommandOptions>();
  CLI::App* up_cmd = app.add_subcommand("up", "Run the mesh on this machine: pods with sidecars, control plane, "
                                                "ingress gateway (needs root)");
  up_cmd->add_option("-f,--filename", o->files, "Kubernetes manifests and Istio YAML (files, directories, -)")
      ->required()
      ->expected(1, -1);
  up_cmd->add_flag("-d,--detach", o->detach, "Return once every pod is ready (the mesh keeps running)");
  add_common(up_cmd, *o);
  up_cmd->callback([&run, o] { run = [o] { return run_up(*o); }; });

  auto d = std::make_shared<UpCommandOptions>();
  CLI::App* demo = app.add_subcommand("demo", "Bookinfo on this machine behind the ingress gateway, and the "
                                              "tutorial's next steps");
  demo->add_option("--samples", d->samples, "The samples/bookinfo directory");
  demo->add_flag("--foreground", d->foreground, "Stay in the foreground until Ctrl-C");
  add_common(demo, *d);
  demo->callback([&run, d] { run = [d] { return run_demo(*d); }; });

  auto profile = std::make_shared<std::string>("default");
  CLI::App* down = app.add_subcommand("down", "Stop the local mesh and remove everything mesh up made");
  down->add_option("-p,--profile", *profile, "Which local mesh")->capture_default_str();
  down->callback([&run, profile] { run = [profile] { return run_down(*profile); }; });
}

void add_up_tool_commands(CLI::App& app, Action& run) {
  for (bool remove : {false, true}) {
    auto o = std::make_shared<UpToolOptions>();
    CLI::App* sub = remove ? app.add_subcommand("delete", "Remove the objects of files from the local mesh")
                           : app.add_subcommand("apply", "Add or change objects in the local mesh (like kubectl apply)");
    sub->add_option("-f,--filename", o->files, "Files, directories or -")->required()->expected(1, -1);
    add_profile(sub, *o);
    sub->callback([&run, o, remove] { run = [o, remove] { return run_apply(*o, remove); }; });
  }
  auto g = std::make_shared<UpToolOptions>();
  CLI::App* get = app.add_subcommand("get", "List what the local mesh runs: pods, services, virtualservices, ...");
  get->add_option("resource", g->what, "pods|services|virtualservices|destinationrules|gateways|deployments")
      ->required();
  get->add_option("-n,--namespace", g->ns, "Namespace (default: default)");
  get->add_flag("-A,--all-namespaces", g->all_namespaces, "Every namespace");
  add_profile(get, *g);
  get->callback([&run, g] { run = [g] { return run_get(*g); }; });

  auto l = std::make_shared<UpToolOptions>();
  CLI::App* logs = app.add_subcommand("logs", "Print a pod's log (its application, or -c istio-proxy)");
  logs->add_option("pod", l->pod, "Pod name, Deployment name, istiod or istio-ingressgateway")->required();
  logs->add_option("-c,--container", l->container, "app (default) or istio-proxy");
  add_profile(logs, *l);
  logs->callback([&run, l] { run = [l] { return run_logs(*l); }; });
}

}  // namespace mesh::cmd
