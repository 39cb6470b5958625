// Placeholder: cross-object analysis is being written.
#include "core/model/analyze.h"

namespace mesh::model {
void analyze(const ConfigSet&, Diagnostics&) {}
}  // namespace mesh::model
