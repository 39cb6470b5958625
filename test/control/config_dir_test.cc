// The config directory source: recursive scan, and a broken file keeps its last
// good version in effect while the rest of the directory still applies.
#include "control/config_dir.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

using namespace mesh;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "mesh-config-dir-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories((path / rel).parent_path());
    std::ofstream(path / rel) << text;
  }
};

std::string service(const std::string& name, int port) {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + "}\nspec:\n  selector: {app: " + name +
         "}\n  ports: [{name: http, port: " + std::to_string(port) + "}]\n";
}

uint32_t port_of(const control::ConfigDir& dir, const std::string& name) {
  model::ConfigSet set;
  dir.contribute(set);
  for (const auto& s : set.services) {
    if (s.meta.name == name) return s.ports.at(0).port;
  }
  return 0;
}

}  // namespace

TEST_CASE("a broken file keeps its last good version; the others still apply") {
  TempDir tmp;
  tmp.write("a.yaml", service("a", 80));
  tmp.write("nested/deeper/b.yml", service("b", 81));
  tmp.write(".hidden/c.yaml", service("c", 82));
  tmp.write("notes.txt", "not config");
  control::ConfigDir dir(tmp.path.string());
  std::vector<std::string> messages;
  CHECK(dir.rescan(messages));
  CHECK(messages.empty());
  CHECK(port_of(dir, "a") == 80);
  CHECK(port_of(dir, "b") == 81);
  CHECK(port_of(dir, "c") == 0);
  CHECK(dir.directories().size() == 3);  // root, nested, nested/deeper
  CHECK_FALSE(dir.rescan(messages));      // nothing changed

  tmp.write("a.yaml", service("a", 80) + "  type: [broken\n");
  tmp.write("nested/deeper/b.yml", service("b", 91));
  CHECK(dir.rescan(messages));
  REQUIRE(messages.size() >= 2);
  CHECK(messages.front().find("a.yaml:") != std::string::npos);
  CHECK(messages.back().find("last good version stays in effect") != std::string::npos);
  CHECK(port_of(dir, "a") == 80);
  CHECK(port_of(dir, "b") == 91);

  messages.clear();
  tmp.write("a.yaml", service("a", 90));
  fs::remove(tmp.path / "nested/deeper/b.yml");
  CHECK(dir.rescan(messages));
  CHECK(messages.empty());
  CHECK(port_of(dir, "a") == 90);
  CHECK(port_of(dir, "b") == 0);
}
