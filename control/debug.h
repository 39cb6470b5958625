// The control plane's debug answers (JSON), kept apart from the server's I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "control/push.h"
#include "core/model/config_set.h"

namespace mesh::control {

// [{"id","name","namespace","type","ip","sent","acked","nacked","status","error"}...]
std::string syncz_json(const std::vector<const ProxyRecord*>& proxies);

// A proxy by reference: "name", "ns/name" or "name.ns" of a pod, or a Deployment
// (StatefulSet, ...) name, which means its first pod by name. nullptr if none.
const ProxyRecord* find_proxy(const std::vector<const ProxyRecord*>& proxies,
                              const std::vector<model::Workload>& workloads, std::string_view ref);

// The decoded value of `name` in the query of a request target ("" if absent).
std::string query_param(std::string_view target, std::string_view name);

}  // namespace mesh::control
