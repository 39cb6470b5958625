// Helpers shared by the local-mesh commands (up, down, demo, apply, delete, get, logs).
#pragma once

#include <string>
#include <vector>

#include "inject/up/stage.h"
#include "inject/up/state.h"

namespace mesh::cmd {

// Reads and validates the inputs, printing every problem (and warnings) as
// `mesh validate` does; false when any is an error.
bool load_objects(const char* who, const std::vector<std::string>& files, std::vector<up::StagedObject>& out);

// True with CAP_NET_ADMIN; otherwise prints why the command needs it.
bool require_net_admin(const char* who);

// Removes the run of `state` (namespaces, links, processes), runs whose
// supervisor died, and the profile's files. Returns how many runs it removed.
size_t remove_mesh(const up::Paths& paths, const up::MeshState& state, bool remove_files);

// The control plane to ask: `given` when set, else that of the profile's
// running local mesh, else 127.0.0.1:15010 (istiod's plain port).
std::string control_address(const std::string& given, const std::string& profile);

// The running mesh of a profile, or false after printing that none is up.
bool running_mesh(const char* who, const std::string& profile, up::MeshState& state);

}  // namespace mesh::cmd
