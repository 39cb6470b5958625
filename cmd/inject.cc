// mesh inject: add the sidecar to workloads in manifests, like
// `istioctl kube-inject -f`. Output goes to stdout or, with -o, to a file that
// is only replaced once everything succeeded.
#include "cmd/inject.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace mesh::cmd {
namespace {

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

}  // namespace

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

}  // namespace mesh::cmd
