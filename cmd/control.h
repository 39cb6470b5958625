// mesh control's entry point; its flags are in cmd/main.cc.
#pragma once

#include "control/server.h"

namespace mesh::cmd {

int run_control(const control::ControlOptions& o);

}  // namespace mesh::cmd
