// Placeholder: decoders for this group are being written.
#include "core/model/decode_kinds.h"
namespace mesh::model {
void decode_spec(DecodeContext&, const YAML::Node&, Gateway&) {}
void decode_spec(DecodeContext&, const YAML::Node&, ServiceEntry&) {}
void decode_spec(DecodeContext&, const YAML::Node&, WorkloadEntry&) {}
void decode_spec(DecodeContext&, const YAML::Node&, Sidecar&) {}
}  // namespace mesh::model
