#include "core/model/diag.h"

#include <algorithm>

#include <fmt/format.h>

namespace mesh::model {

std::string Diagnostic::format() const {
  const std::string& name = file.empty() ? std::string("<input>") : file;
  std::string out = pos.line > 0 ? fmt::format("{}:{}:{}: ", name, pos.line, pos.col) : name + ": ";
  if (!object.empty()) out += object + ": ";
  if (!field.empty()) out += field + ": ";
  if (severity == Severity::kWarning) out += "warning: ";
  out += message;
  return out;
}

bool Diagnostics::has_errors() const { return error_count() > 0; }

size_t Diagnostics::error_count() const {
  return std::count_if(items_.begin(), items_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

size_t Diagnostics::warning_count() const { return items_.size() - error_count(); }

void Diagnostics::sort() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.file != b.file) return a.file < b.file;
    if (a.pos.line != b.pos.line) return a.pos.line < b.pos.line;
    return a.pos.col < b.pos.col;
  });
}

}  // namespace mesh::model
