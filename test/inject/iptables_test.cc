// Capture rules: flag validation, rule text, cleanup from a dump, and the
// save/restore/rollback sequence against a fake runner.
#include <doctest/doctest.h>

#include <deque>

#include "inject/iptables.h"
#include "inject/iptables_apply.h"

namespace mesh::inject {
namespace {

bool has_rule(const std::vector<Rule>& rules, const std::string& chain, const std::string& spec) {
  for (const auto& r : rules) {
    if (r.chain == chain && r.spec == spec) return true;
  }
  return false;
}

IptablesConfig valid(const IptablesFlags& flags) {
  IptablesConfig c;
  auto err = validate_flags(flags, c);
  REQUIRE_MESSAGE(!err, err.value_or(""));
  return c;
}

// Records every call; answers from a script of results (default: success).
class FakeRunner : public CommandRunner {
 public:
  std::vector<std::string> calls;
  std::vector<std::string> inputs;
  std::deque<CommandResult> script;
  std::string dump = "*nat\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n";

  CommandResult run(const std::vector<std::string>& argv, const std::string& input) override {
    std::string call;
    for (const auto& a : argv) call += (call.empty() ? "" : " ") + a;
    calls.push_back(call);
    inputs.push_back(input);
    CommandResult r{0, "", ""};
    if (!script.empty()) {
      r = script.front();
      script.pop_front();
    }
    if (r.exit_code == 0 && argv[0].ends_with("-save")) r.out = dump;
    return r;
  }
};

TEST_CASE("defaults capture everything except the proxy, loopback and the agent ports") {
  auto rules = build_rules(valid({}), Family::kIPv4);
  CHECK(has_rule(rules, "ISTIO_REDIRECT", "-p tcp -j REDIRECT --to-ports 15001"));
  CHECK(has_rule(rules, "ISTIO_IN_REDIRECT", "-p tcp -j REDIRECT --to-ports 15006"));
  CHECK(has_rule(rules, "PREROUTING", "-p tcp -j ISTIO_INBOUND"));
  CHECK(has_rule(rules, "ISTIO_INBOUND", "-p tcp -m tcp --dport 15021 -j RETURN"));
  CHECK(has_rule(rules, "ISTIO_OUTPUT", "-s 127.0.0.6/32 -o lo -j RETURN"));
  CHECK(has_rule(rules, "ISTIO_OUTPUT", "-m owner --uid-owner 1337 -j RETURN"));
  CHECK(has_rule(rules, "ISTIO_OUTPUT", "-m owner --gid-owner 1337 -j RETURN"));
  CHECK(rules.back().spec == "-j ISTIO_REDIRECT");
  auto v6 = build_rules(valid({}), Family::kIPv6);
  CHECK(has_rule(v6, "ISTIO_OUTPUT", "-s ::6/128 -o lo -j RETURN"));
  CHECK(has_rule(v6, "ISTIO_OUTPUT", "-d ::1/128 -j RETURN"));
}

TEST_CASE("CIDRs go to their own family only, canonicalised") {
  IptablesFlags f;
  f.include_outbound_cidrs = "10.1.2.3/8, fd00::1/64";
  f.exclude_outbound_cidrs = "192.168.0.7";
  IptablesConfig c = valid(f);
  auto v4 = build_rules(c, Family::kIPv4);
  auto v6 = build_rules(c, Family::kIPv6);
  CHECK(has_rule(v4, "ISTIO_OUTPUT", "-d 10.0.0.0/8 -j ISTIO_REDIRECT"));
  CHECK(has_rule(v4, "ISTIO_OUTPUT", "-d 192.168.0.7/32 -j RETURN"));
  CHECK_FALSE(has_rule(v4, "ISTIO_OUTPUT", "-d fd00::/64 -j ISTIO_REDIRECT"));
  CHECK(has_rule(v6, "ISTIO_OUTPUT", "-d fd00::/64 -j ISTIO_REDIRECT"));
  CHECK_FALSE(has_rule(v6, "ISTIO_OUTPUT", "-j ISTIO_REDIRECT"));
}

TEST_CASE("empty include lists switch capture off") {
  IptablesFlags f;
  f.include_inbound_ports = "";
  f.include_outbound_cidrs = "";
  auto rules = build_rules(valid(f), Family::kIPv4);
  CHECK_FALSE(has_rule(rules, "PREROUTING", "-p tcp -j ISTIO_INBOUND"));
  for (const auto& r : rules) CHECK(r.spec.find("-j ISTIO_REDIRECT") == std::string::npos);
}

TEST_CASE("bad flags are refused with the flag's name") {
  auto error_of = [](IptablesFlags f) {
    IptablesConfig c;
    return validate_flags(f, c).value_or("");
  };
  IptablesFlags f;
  f.outbound_capture_port = "65536";
  CHECK(error_of(f).starts_with("-p/--envoy-port: invalid port \"65536\""));
  f = {};
  f.exclude_inbound_ports = "1,,2";
  CHECK(error_of(f).starts_with("-d/--istio-local-exclude-ports: empty element"));
  f = {};
  f.include_outbound_cidrs = "1.2.3.4/";
  CHECK(error_of(f).find("invalid CIDR") != std::string::npos);
  f = {};
  f.proxy_gid = "-1";
  CHECK(error_of(f).starts_with("-g/--proxy-gid"));
}

TEST_CASE("apply deletes stale jumps and flushes our chains in one transaction") {
  std::string dump =
      "*nat\n:OUTPUT ACCEPT [0:0]\n:ISTIO_OUTPUT - [0:0]\n-A OUTPUT -p tcp -j ISTIO_OUTPUT\n"
      "-A OUTPUT -j KUBE-SERVICES\n-A ISTIO_OUTPUT -j RETURN\nCOMMIT\n";
  std::string text = render_apply({{"OUTPUT", "-p tcp -j ISTIO_OUTPUT"}}, dump);
  CHECK(text ==
        "*nat\n:ISTIO_INBOUND - [0:0]\n:ISTIO_IN_REDIRECT - [0:0]\n:ISTIO_OUTPUT - [0:0]\n:ISTIO_REDIRECT - "
        "[0:0]\n"
        "-F ISTIO_OUTPUT\n-D OUTPUT -p tcp -j ISTIO_OUTPUT\n-A OUTPUT -p tcp -j ISTIO_OUTPUT\nCOMMIT\n");
}

TEST_CASE("cleanup of what the rules add leaves nothing of ours") {
  auto rules = build_rules(valid({}), Family::kIPv4);
  std::string text = render_cleanup(render_as_saved(rules));
  CHECK(text.find("-D PREROUTING -p tcp -j ISTIO_INBOUND\n") != std::string::npos);
  CHECK(text.find("-D OUTPUT -p tcp -j ISTIO_OUTPUT\n") != std::string::npos);
  CHECK(text.find("-X ISTIO_REDIRECT\n") != std::string::npos);
  CHECK(text.find("-D ISTIO_") == std::string::npos);  // our own chains are flushed, not edited
  CHECK(render_cleanup("*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j KUBE-SERVICES\nCOMMIT\n").empty());
  CHECK(render_cleanup("*filter\n:ISTIO_OUTPUT - [0:0]\nCOMMIT\n").empty());  // other tables are not ours
}

TEST_CASE("apply saves every family before changing any") {
  FakeRunner runner;
  auto result = apply_rules(valid({}), family_tools(true), runner);
  CHECK(result.ok);
  CHECK(runner.calls == std::vector<std::string>{"iptables-save --table nat", "ip6tables-save --table nat",
                                                 "iptables-restore --noflush",
                                                 "ip6tables-restore --noflush"});
  CHECK(runner.inputs[2].find("127.0.0.6/32") != std::string::npos);
  CHECK(runner.inputs[3].find("::6/128") != std::string::npos);
}

TEST_CASE("a failed IPv6 restore rolls IPv4 back to its saved dump") {
  FakeRunner runner;
  runner.script = {{0, "", ""}, {0, "", ""}, {0, "", ""}, {1, "", "ip6tables-restore: line 7 failed\n"}};
  auto result = apply_rules(valid({}), family_tools(true), runner);
  CHECK_FALSE(result.ok);
  CHECK(result.message ==
        "ip6tables-restore --noflush: exited with status 1: ip6tables-restore: line 7 failed; "
        "earlier changes were rolled back");
  REQUIRE(runner.calls.size() == 5);
  CHECK(runner.calls[4] == "iptables-restore --table nat");
  CHECK(runner.inputs[4] == runner.dump);
}

TEST_CASE("a failed save changes nothing; a failed rollback is reported") {
  FakeRunner runner;
  runner.script = {{0, "", ""}, {-1, "", "No such file or directory"}};
  auto result = apply_rules(valid({}), family_tools(true), runner);
  CHECK_FALSE(result.ok);
  CHECK(result.message ==
        "ip6tables-save --table nat: could not run: No such file or directory; nothing was changed");
  CHECK(runner.calls.size() == 2);

  FakeRunner broken;
  broken.script = {{0, "", ""}, {0, "", ""}, {0, "", ""}, {1, "", ""}, {1, "", "gone"}};
  result = apply_rules(valid({}), family_tools(true), broken);
  CHECK(result.message.ends_with(
      "; rollback failed: iptables-restore --table nat: exited with status 1: gone"));
}

TEST_CASE("cleanup with nothing of ours runs no restore") {
  FakeRunner runner;
  CHECK(cleanup_rules(family_tools(false), runner).ok);
  CHECK(runner.calls == std::vector<std::string>{"iptables-save --table nat"});
}

TEST_CASE("the process runner feeds stdin and collects output and status") {
  ProcessRunner runner;
  std::string big(200000, 'x');  // larger than a pipe buffer in both directions
  CommandResult r = runner.run({"cat"}, big);
  CHECK(r.exit_code == 0);
  CHECK(r.out == big);
  r = runner.run({"sh", "-c", "echo oops >&2; exit 3"}, "");
  CHECK(r.exit_code == 3);
  CHECK(r.err == "oops\n");
  r = runner.run({"mesh-no-such-tool"}, "");
  CHECK(r.exit_code == -1);
}

}  // namespace
}  // namespace mesh::inject
