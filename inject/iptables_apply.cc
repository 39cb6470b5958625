// Save -> restore --noflush -> (on failure) restore the saved dump. Each
// iptables-restore run commits the nat table in one transaction, so a failed
// run changes nothing in its own family; only families already changed need
// to be rolled back.
#include "inject/iptables_apply.h"

#include <functional>

#include <fmt/format.h>

namespace mesh::inject {
namespace {

std::string describe(const std::vector<std::string>& argv, const CommandResult& r) {
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  std::string why = r.exit_code < 0 ? "could not run" : fmt::format("exited with status {}", r.exit_code);
  std::string detail = r.err;
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
  return detail.empty() ? fmt::format("{}: {}", cmd, why) : fmt::format("{}: {}: {}", cmd, why, detail);
}

struct Saved {
  const FamilyTools* tools;
  std::string dump;
};

// Restores every saved dump in `changed`; returns a note for the message.
std::string roll_back(const std::vector<Saved>& changed, CommandRunner& runner) {
  std::string note;
  for (auto it = changed.rbegin(); it != changed.rend(); ++it) {
    std::vector<std::string> argv = {it->tools->restore, "--table", "nat"};
    CommandResult r = runner.run(argv, it->dump);
    if (r.exit_code != 0) note += fmt::format("; rollback failed: {}", describe(argv, r));
  }
  if (!changed.empty() && note.empty()) note = "; earlier changes were rolled back";
  return note;
}

// `script_for` turns a family's saved dump into restore input ("" = nothing to do).
ApplyResult run_sequence(
    const std::vector<FamilyTools>& families, CommandRunner& runner,
    const std::function<std::string(const FamilyTools&, const std::string&)>& script_for) {
  std::vector<Saved> saved;
  for (const auto& tools : families) {  // save everything before changing anything
    std::vector<std::string> argv = {tools.save, "--table", "nat"};
    CommandResult r = runner.run(argv, "");
    if (r.exit_code != 0) return {false, describe(argv, r) + "; nothing was changed"};
    saved.push_back({&tools, std::move(r.out)});
  }
  std::vector<Saved> changed;
  for (const auto& s : saved) {
    std::string script = script_for(*s.tools, s.dump);
    if (script.empty()) continue;
    std::vector<std::string> argv = {s.tools->restore, "--noflush"};
    CommandResult r = runner.run(argv, script);
    if (r.exit_code != 0) return {false, describe(argv, r) + roll_back(changed, runner)};
    changed.push_back(s);
  }
  return {true, ""};
}

}  // namespace

std::vector<FamilyTools> family_tools(bool with_ipv6) {
  std::vector<FamilyTools> out = {{Family::kIPv4, "iptables-save", "iptables-restore"}};
  if (with_ipv6) out.push_back({Family::kIPv6, "ip6tables-save", "ip6tables-restore"});
  return out;
}

ApplyResult apply_rules(const IptablesConfig& config, const std::vector<FamilyTools>& families,
                        CommandRunner& runner) {
  return run_sequence(families, runner, [&config](const FamilyTools& tools, const std::string& dump) {
    return render_apply(build_rules(config, tools.family), dump);
  });
}

ApplyResult cleanup_rules(const std::vector<FamilyTools>& families, CommandRunner& runner) {
  return run_sequence(families, runner,
                      [](const FamilyTools&, const std::string& dump) { return render_cleanup(dump); });
}

}  // namespace mesh::inject
