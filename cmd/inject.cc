// mesh inject: add the sidecar to workloads in manifests, like
// `istioctl kube-inject -f`. Output goes to stdout or, with -o, to a file that
// is only replaced once everything succeeded.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "cmd/commands.h"
#include "inject/inject.h"

namespace mesh::cmd {
namespace {

struct InjectCmdOptions {
  std::string file;
  std::string output;
  inject::InjectOptions inject;
};

bool read_input(const std::string& file, std::string& text) {
  if (file == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return true;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: %s\n", file.c_str(), std::strerror(errno));
    return false;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  text = buf.str();
  return true;
}

// Writes next to the target and renames, so readers never see a partial file
// and a failure leaves any existing file untouched.
bool write_atomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  bool ok = f && std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (f) ok = (std::fclose(f) == 0) && ok;
  if (ok && std::rename(tmp.c_str(), path.c_str()) == 0) return true;
  std::fprintf(stderr, "%s: %s\n", path.c_str(), std::strerror(errno));
  std::remove(tmp.c_str());
  return false;
}

int run_inject(const InjectCmdOptions& opts) {
  std::string text;
  if (!read_input(opts.file, text)) return 1;
  std::string name = opts.file == "-" ? "<stdin>" : opts.file;
  inject::InjectResult result = inject::inject_text(text, name, opts.inject);
  for (const auto& w : result.warnings) std::fprintf(stderr, "%s\n", w.c_str());
  if (!result.ok) {
    std::fprintf(stderr, "%s\n", result.error.c_str());
    return 1;
  }
  if (!opts.output.empty()) return write_atomically(opts.output, result.output) ? 0 : 1;
  std::fwrite(result.output.data(), 1, result.output.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

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

}  // namespace mesh::cmd
