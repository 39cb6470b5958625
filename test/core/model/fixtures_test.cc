// Fixture runner for every kind the loader knows (Istio and Kubernetes).
//
// Convention (add a file, no code change needed):
//   test/fixtures/model/valid/**.yaml|yml|json
//       must load with no errors (warnings are allowed).
//   test/fixtures/model/invalid/**.yaml|yml|json
//       must produce exactly the errors listed in its leading comment lines,
//       one per line, in any order:
//         # expect: LINE:COL: Kind/namespace/name: field.path: message
//       i.e. Diagnostic::format() without the leading "FILE:". A line ending in
//       "..." matches any diagnostic that starts with the text before it (for
//       messages quoting library text, e.g. RE2 errors). A warning may be
//       listed too (its text contains "warning: "); warnings that are not
//       listed are ignored. Every listed line must match one diagnostic, and
//       every error must be listed. An invalid file must list at least one.
// Group files by API area in subdirectories (networking/, security/, kube/)
// and name them after the kind and the rule they show, e.g.
// invalid/networking/virtualservice-weights.yaml. LINE counts the comment
// lines too: it is the line in the file as written.
//
// MESH_SOURCE_ROOT (set by test/meson.build) locates the fixtures.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "core/model/load.h"

using namespace mesh::model;
namespace fs = std::filesystem;

namespace {

fs::path fixtures_root() {
  const char* root = std::getenv("MESH_SOURCE_ROOT");
  REQUIRE_MESSAGE(root != nullptr, "MESH_SOURCE_ROOT must point at the source tree");
  return fs::path(root) / "test" / "fixtures" / "model";
}

std::vector<fs::path> fixture_files(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::exists(dir)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json"))
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The `# expect:` lines of the leading comment block.
std::vector<std::string> expectations(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  std::string line;
  const std::string marker = "# expect: ";
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.front() != '#') break;
    if (line.starts_with(marker)) out.push_back(line.substr(marker.size()));
  }
  return out;
}

bool matches(const std::string& expected, const std::string& actual) {
  if (expected.ends_with("...")) return actual.starts_with(expected.substr(0, expected.size() - 3));
  return expected == actual;
}

// Diagnostic text without the "FILE:" prefix.
std::vector<std::pair<Severity, std::string>> load_diagnostics(const fs::path& file) {
  ConfigSet out;
  Diagnostics diags;
  load_paths({file.string()}, LoadOptions{}, out, diags);
  std::vector<std::pair<Severity, std::string>> result;
  const std::string prefix = file.string() + ":";
  for (const Diagnostic& d : diags.items()) {
    std::string text = d.format();
    if (text.starts_with(prefix)) text = text.substr(prefix.size());
    if (text.starts_with(" ")) text = text.substr(1);
    result.emplace_back(d.severity, std::move(text));
  }
  return result;
}

void check_invalid(const fs::path& file) {
  const std::vector<std::string> expected = expectations(file);
  CHECK_MESSAGE(!expected.empty(), "invalid fixture lists no '# expect:' lines");
  auto actual = load_diagnostics(file);
  std::vector<bool> used(actual.size(), false);
  for (const std::string& want : expected) {
    bool found = false;
    for (size_t i = 0; i < actual.size() && !found; ++i) {
      if (!used[i] && matches(want, actual[i].second)) used[i] = found = true;
    }
    CHECK_MESSAGE(found, "expected but not reported: " << want);
  }
  for (size_t i = 0; i < actual.size(); ++i) {
    if (!used[i] && actual[i].first == Severity::kError)
      CHECK_MESSAGE(false, "reported but not expected: " << actual[i].second);
  }
}

}  // namespace

TEST_CASE("valid fixtures load without errors") {
  const auto files = fixture_files(fixtures_root() / "valid");
  CHECK(!files.empty());
  for (const fs::path& file : files) {
    CAPTURE(file.string());
    for (const auto& [severity, text] : load_diagnostics(file)) {
      if (severity == Severity::kError) CHECK_MESSAGE(false, "unexpected error: " << text);
    }
  }
}

TEST_CASE("invalid fixtures report exactly the expected errors") {
  const auto files = fixture_files(fixtures_root() / "invalid");
  CHECK(!files.empty());
  for (const fs::path& file : files) {
    CAPTURE(file.string());
    check_invalid(file);
  }
}
