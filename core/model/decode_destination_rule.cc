// Placeholder: being written.
#include "core/model/decode_kinds.h"
namespace mesh::model {
void decode_spec(DecodeContext&, const YAML::Node&, DestinationRule&) {}
}  // namespace mesh::model
