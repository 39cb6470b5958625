// One decoder per kind. Each reads `spec` (or, for Kubernetes objects, the whole
// document) into its object, validating Istio's field rules as it goes, and
// reports every problem to the context. `meta` is already filled by the loader.
#pragma once

#include "core/model/config_set.h"
#include "core/model/decode.h"

namespace mesh::model {

// networking.istio.io (decode_networking*.cc)
void decode_spec(DecodeContext& c, const yaml::Node& spec, VirtualService& out);
void decode_spec(DecodeContext& c, const yaml::Node& spec, DestinationRule& out);
void decode_spec(DecodeContext& c, const yaml::Node& spec, Gateway& out);
void decode_spec(DecodeContext& c, const yaml::Node& spec, ServiceEntry& out);
void decode_spec(DecodeContext& c, const yaml::Node& spec, WorkloadEntry& out);
void decode_spec(DecodeContext& c, const yaml::Node& spec, Sidecar& out);

// security.istio.io (decode_security.cc)
void decode_spec(DecodeContext& c, const yaml::Node& spec, PeerAuthentication& out);
void decode_spec(DecodeContext& c, const yaml::Node& spec, AuthorizationPolicy& out);
void decode_spec(DecodeContext& c, const yaml::Node& spec, RequestAuthentication& out);

// Kubernetes (decode_kube.cc): these take the whole document.
void decode_object(DecodeContext& c, const yaml::Node& doc, Namespace& out);
void decode_object(DecodeContext& c, const yaml::Node& doc, ServiceAccount& out);
void decode_object(DecodeContext& c, const yaml::Node& doc, Service& out);
void decode_object(DecodeContext& c, const yaml::Node& doc, Pod& out);
void decode_object(DecodeContext& c, const yaml::Node& doc, Workload& out);
void decode_object(DecodeContext& c, const yaml::Node& doc, EndpointSlice& out);

}  // namespace mesh::model
