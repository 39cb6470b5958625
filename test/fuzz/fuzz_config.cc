// libFuzzer target: arbitrary bytes through the config loader and the
// cross-object analysis. Any crash, sanitizer report or hang is a bug: bad
// input must end as diagnostics.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/model/analyze.h"
#include "core/model/load.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  mesh::model::ConfigSet config;
  mesh::model::Diagnostics diags;
  mesh::model::load_text(text, "fuzz.yaml", {}, config, diags);
  mesh::model::analyze(config, diags);
  diags.sort();
  size_t total = 0;
  for (const auto& d : diags.items()) total += d.format().size();
  return total == 0 ? 0 : 0;
}
