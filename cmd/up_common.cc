#include "cmd/up_common.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/model/decode.h"
#include "inject/iptables_apply.h"
#include "inject/podnet/podnet.h"

namespace mesh::cmd {
namespace fs = std::filesystem;

bool load_objects(const char* who, const std::vector<std::string>& files, std::vector<up::StagedObject>& out) {
  std::vector<up::InputFile> inputs;
  std::string error;
  if (!up::read_inputs(files, inputs, error)) {
    std::fprintf(stderr, "%s: %s\n", who, error.c_str());
    return false;
  }
  model::Diagnostics diags;
  up::validate_inputs(inputs, diags);
  diags.sort();
  for (const auto& d : diags.items()) std::fprintf(stderr, "%s\n", d.format().c_str());
  if (diags.has_errors()) {
    std::fprintf(stderr, "%s: the input is invalid; nothing changed\n", who);
    return false;
  }
  try {
    out = up::objects_of(inputs);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", who, e.what());
    return false;
  }
  return true;
}

bool require_net_admin(const char* who) {
  std::ifstream status("/proc/self/status");
  std::string line;
  unsigned long long caps = 0;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) == 0) caps = std::strtoull(line.c_str() + 7, nullptr, 16);
  }
  constexpr unsigned long long kNetAdmin = 1ull << 12, kSysAdmin = 1ull << 21;
  if ((caps & kNetAdmin) && (caps & kSysAdmin)) return true;
  std::fprintf(stderr, "%s: needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create the pod network's "
               "namespaces; run it as root, e.g. sudo %s\n", who, who);
  return false;
}

size_t remove_mesh(const up::Paths& paths, const up::MeshState& state, bool remove_files) {
  inject::ProcessRunner runner;
  size_t removed = 0;
  if (!state.run_id.empty() && !up::alive(state.supervisor)) {
    podnet::cleanup_run(state.run_id, runner);
    ++removed;
  }
  removed += podnet::cleanup_stale(runner).size();
  std::error_code ec;
  if (remove_files) fs::remove_all(paths.root, ec);
  return removed;
}

std::string control_address(const std::string& given, const std::string& profile) {
  if (!given.empty()) return given;
  up::MeshState state;
  if (up::read_state(up::Paths(profile), state) && up::alive(state.supervisor) && !state.control.empty())
    return state.control;
  return "127.0.0.1:15010";
}

bool running_mesh(const char* who, const std::string& profile, up::MeshState& state) {
  if (up::read_state(up::Paths(profile), state) && up::alive(state.supervisor)) return true;
  std::fprintf(stderr, "%s: no mesh is up (profile %s); start one with mesh up -f FILES or mesh demo\n", who,
               profile.c_str());
  return false;
}

}  // namespace mesh::cmd
