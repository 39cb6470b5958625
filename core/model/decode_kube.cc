// Placeholder: decoders for this group are being written.
#include "core/model/decode_kinds.h"
namespace mesh::model {
void decode_object(DecodeContext&, const YAML::Node&, Namespace&) {}
void decode_object(DecodeContext&, const YAML::Node&, ServiceAccount&) {}
void decode_object(DecodeContext&, const YAML::Node&, Service&) {}
void decode_object(DecodeContext&, const YAML::Node&, Pod&) {}
void decode_object(DecodeContext&, const YAML::Node&, Workload&) {}
void decode_object(DecodeContext&, const YAML::Node&, EndpointSlice&) {}
}  // namespace mesh::model
