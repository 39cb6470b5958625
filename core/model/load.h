// Loading config: files, directories (recursively, *.yaml|*.yml|*.json), or "-"
// for stdin; multi-document YAML, JSON, and `kind: List`. Every document is
// decoded and validated; every problem lands in `diags`, and valid objects land
// in `out` even when other documents fail.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/model/config_set.h"
#include "core/model/diag.h"

namespace mesh::model {

struct LoadOptions {
  std::string default_namespace = "default";
  // Input larger than this is refused with an error rather than parsed.
  size_t max_file_bytes = 64u << 20;
  // Pods and workloads keep their yaml-cpp document (`raw`) for tools that
  // read more of them than the model does (mesh up's pod planner). Off by
  // default: it parses those documents a second time, with yaml-cpp, and a
  // parsed document costs tens of times its text.
  bool keep_raw = false;
};

// One input as read: its name in messages ("<stdin>" for "-") and its text.
struct SourceText {
  std::string name;
  std::string text;
};

// Reads paths in order the way load_paths() does (files; directories
// recursively, *.yaml|*.yml|*.json in sorted order; "-" for stdin) without
// decoding them. Unreadable paths are errors in `diags`.
void read_paths(const std::vector<std::string>& paths, std::vector<SourceText>& out, Diagnostics& diags);

// Loads paths in order. Unreadable paths are errors in `diags`.
void load_paths(const std::vector<std::string>& paths, const LoadOptions& options, ConfigSet& out,
                Diagnostics& diags);

// Loads one text as if it were the file `file_name`.
void load_text(std::string_view text, const std::string& file_name, const LoadOptions& options,
               ConfigSet& out, Diagnostics& diags);

}  // namespace mesh::model
