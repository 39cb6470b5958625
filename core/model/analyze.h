// Cross-object findings, like `istioctl analyze`: references that point nowhere
// (an undefined subset, an unknown host, a Gateway no VirtualService binds),
// duplicates, and conflicts. Problems that make config unusable are errors;
// the rest are warnings.
#pragma once

#include "core/model/config_set.h"
#include "core/model/diag.h"

namespace mesh::model {

void analyze(const ConfigSet& config, Diagnostics& diags);

}  // namespace mesh::model
