// mesh status: every proxy connected to the control plane with the config
// version it was sent and whether it is SYNCED, STALE or NACKED, like
// `istioctl proxy-status`.
#include "cmd/status.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cmd/table.h"
#include "cmd/http_get.h"
#include "cmd/up_common.h"

namespace mesh::cmd {
namespace {

std::string text_of(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

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

}  // namespace mesh::cmd
