// Placeholder: being written.
#include "cmd/routes_explain.h"

namespace mesh::cmd {
int run_explain(const pc::ProxyConfig&, const ExplainOptions&) { return 1; }
}  // namespace mesh::cmd
