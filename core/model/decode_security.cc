// Placeholder: decoders for this group are being written.
#include "core/model/decode_kinds.h"
namespace mesh::model {
void decode_spec(DecodeContext&, const YAML::Node&, PeerAuthentication&) {}
void decode_spec(DecodeContext&, const YAML::Node&, AuthorizationPolicy&) {}
void decode_spec(DecodeContext&, const YAML::Node&, RequestAuthentication&) {}
}  // namespace mesh::model
