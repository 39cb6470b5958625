// Applying capture rules: save the nat table of each family, apply the new
// rules atomically with `iptables-restore --noflush`, and put every family back
// the way it was if any step fails. The runner is an interface so tests can
// check the sequencing without touching the host's tables.
#pragma once

#include <string>
#include <vector>

#include "inject/iptables.h"

namespace mesh::inject {

struct CommandResult {
  int exit_code = -1;  // -1: could not start (message in err)
  std::string out;
  std::string err;
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // Runs argv[0] (looked up in PATH) with `input` on stdin and waits for it.
  virtual CommandResult run(const std::vector<std::string>& argv, const std::string& input) = 0;
};

// Runs real child processes (fork + exec, stdin/stdout/stderr through pipes).
class ProcessRunner : public CommandRunner {
 public:
  CommandResult run(const std::vector<std::string>& argv, const std::string& input) override;
};

struct FamilyTools {
  Family family;
  std::string save;     // "iptables-save"
  std::string restore;  // "iptables-restore"
};

// The families to program: IPv4 always, IPv6 when `with_ipv6`.
std::vector<FamilyTools> family_tools(bool with_ipv6);

struct ApplyResult {
  bool ok = false;
  std::string message;  // what failed, and whether the rollback worked
};

// Programs `config` into every family. On failure, families already changed
// are restored from their saved dump.
ApplyResult apply_rules(const IptablesConfig& config, const std::vector<FamilyTools>& families,
                        CommandRunner& runner);

// Removes our chains and the rules jumping to them, family by family, with the
// same save/rollback guarantee.
ApplyResult cleanup_rules(const std::vector<FamilyTools>& families, CommandRunner& runner);

}  // namespace mesh::inject
