// mesh status: every proxy connected to the control plane with the config
// version it was sent and whether it is SYNCED, STALE or NACKED, like
// `istioctl proxy-status`.
#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "cmd/table.h"
#include "cmd/commands.h"
#include "cmd/http_get.h"
#include "cmd/up_common.h"

namespace mesh::cmd {
namespace {

struct StatusOptions {
  std::string control;  // "" = the local mesh's, else 127.0.0.1:15010
  std::string profile = "default";
  std::string output = "table";
};

std::string text_of(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

int run_status(const StatusOptions& o) {
  std::string body;
  const int status = http_get(control_address(o.control, o.profile), "/debug/syncz", body);
  if (status != 200) {
    std::fprintf(stderr, "mesh status: %s\n", status == 0 ? body.c_str() : "unexpected answer from the control plane");
    return 1;
  }
  nlohmann::json list = nlohmann::json::parse(body, nullptr, false);
  if (!list.is_array()) {
    std::fprintf(stderr, "mesh status: the control plane sent no proxy list\n");
    return 1;
  }
  if (o.output == "json") {
    std::printf("%s\n", list.dump(2).c_str());
    return 0;
  }
  std::vector<std::array<std::string, 6>> rows = {{"NAME", "TYPE", "IP", "VERSION", "STATUS", "ERROR"}};
  for (const auto& p : list) {
    if (!p.is_object()) continue;
    rows.push_back({text_of(p, "id"), text_of(p, "type"), text_of(p, "ip"), text_of(p, "sent"),
                    text_of(p, "status"), text_of(p, "error")});
  }
  print_table(rows);
  return 0;
}

}  // namespace

void add_status_command(CLI::App& app, Action& run) {
  auto o = std::make_shared<StatusOptions>();
  CLI::App* sub = app.add_subcommand("status", "Show every proxy connected to the control plane and its sync state");
  sub->add_option("--control", o->control, "The control plane, ADDR:PORT (default: the local mesh's, else 127.0.0.1:15010)");
  sub->add_option("-p,--profile", o->profile, "Which local mesh (mesh up)")->capture_default_str();
  sub->add_option("-o,--output", o->output, "Output format")->check(CLI::IsMember({"table", "json"}));
  sub->callback([&run, o] { run = [o] { return run_status(*o); }; });
}

}  // namespace mesh::cmd
