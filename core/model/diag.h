// Diagnostics: every problem found in config, with where it is and what it is.
// Printed as `FILE:LINE:COL: Kind/namespace/name: field.path: message`.
#pragma once

#include <string>
#include <vector>

#include "core/model/api_common.h"

namespace mesh::model {

enum class Severity { kError, kWarning };

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string file;
  Pos pos;
  std::string object;  // "Kind/namespace/name", or "" for file-level problems
  std::string field;   // "spec.http[0].route[1].weight", or ""
  std::string message;

  // The one-line form users see. Warnings carry "warning: " before the message.
  std::string format() const;
};

class Diagnostics {
 public:
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  const std::vector<Diagnostic>& items() const { return items_; }
  bool has_errors() const;
  size_t error_count() const;
  size_t warning_count() const;
  // Sorted by file, line, column (stable for equal positions).
  void sort();

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace mesh::model
