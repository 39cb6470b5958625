// libFuzzer target: the fast YAML reader against yaml-cpp. Whatever the fast
// reader accepts, yaml-cpp must read to the same tree (kinds, text,
// positions); a difference aborts. Declined input is yaml-cpp's business.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/model/yaml_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (text.find('\0') != std::string_view::npos) return 0;  // the loader refuses it before parsing
  for (const mesh::yaml::DocumentText& d : mesh::yaml::split_documents(text)) {
    mesh::yaml::Document fast;
    if (!mesh::yaml::parse_fast(d.text, fast)) continue;
    std::string expected;
    try {
      expected = mesh::yaml::dump_tree(mesh::yaml::from_yaml_cpp(YAML::Load(std::string(d.text)), 1u << 24).root());
    } catch (const YAML::Exception& e) {
      expected = "yaml-cpp error: " + e.msg;
    }
    const std::string got = mesh::yaml::dump_tree(fast.root());
    if (got != expected) {
      std::fprintf(stderr, "fast reader and yaml-cpp differ\nfast:     %s\nyaml-cpp: %s\n", got.c_str(),
                   expected.c_str());
      std::abort();
    }
  }
  return 0;
}
