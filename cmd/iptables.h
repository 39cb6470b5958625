// mesh iptables' options and entry point; its flags are in cmd/main.cc.
#pragma once

#include "inject/iptables.h"

namespace mesh::cmd {

struct IptablesOptions {
  inject::IptablesFlags flags;
  bool dry_run = false;
  bool cleanup = false;
  bool no_ipv6 = false;
};

int run_iptables(const IptablesOptions& opts);

}  // namespace mesh::cmd
