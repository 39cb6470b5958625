// Traffic capture rules for a pod, like Istio's istio-iptables: pure functions
// from flags to iptables-restore input, one text per address family. Nothing
// here touches the system; iptables_apply.h runs the tools.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mesh::inject {

// The chains this tool owns in the nat table (Istio's names, so existing
// debugging habits and scripts carry over).
inline constexpr std::string_view kInboundChain = "ISTIO_INBOUND";
inline constexpr std::string_view kInRedirectChain = "ISTIO_IN_REDIRECT";
inline constexpr std::string_view kOutputChain = "ISTIO_OUTPUT";
inline constexpr std::string_view kRedirectChain = "ISTIO_REDIRECT";

// Flags as the user wrote them; defaults are Istio's injected init container's.
struct IptablesFlags {
  std::string outbound_capture_port = "15001";              // -p
  std::string inbound_capture_port = "15006";               // -z
  std::string proxy_uid = "1337";                           // -u (comma list)
  std::string proxy_gid = "1337";                           // -g (comma list)
  std::string mode = "REDIRECT";                            // -m
  std::string include_outbound_cidrs = "*";                 // -i ('*' = all, '' = none)
  std::string exclude_outbound_cidrs;                       // -x
  std::string include_inbound_ports = "*";                  // -b ('*' = all, '' = none)
  std::string exclude_inbound_ports = "15090,15021,15020";  // -d
  std::string exclude_outbound_ports;                       // -o
  std::string include_outbound_ports;                       // -q
  bool redirect_dns = false;                                // --redirect-dns
  std::string dns_capture_port = "15053";                   // --dns-capture-port
};

struct Cidr {
  bool v6 = false;
  std::string text;  // canonical "network/prefix" (host bits cleared)
  bool operator==(const Cidr&) const = default;
};

// Validated, typed form of IptablesFlags.
struct IptablesConfig {
  uint16_t outbound_capture_port = 15001;
  uint16_t inbound_capture_port = 15006;
  std::vector<uint32_t> proxy_uids;
  std::vector<uint32_t> proxy_gids;
  bool capture_all_outbound = true;
  std::vector<Cidr> include_outbound_cidrs;
  std::vector<Cidr> exclude_outbound_cidrs;
  bool capture_all_inbound = true;
  std::vector<uint16_t> include_inbound_ports;
  std::vector<uint16_t> exclude_inbound_ports;
  std::vector<uint16_t> exclude_outbound_ports;
  std::vector<uint16_t> include_outbound_ports;
  bool redirect_dns = false;
  uint16_t dns_capture_port = 15053;
};

// Field parsers shared with `mesh inject` (annotation checks). Each returns an
// error message naming the bad element, or nullopt when the value is good.
std::optional<std::string> parse_port(std::string_view text, uint16_t& out);
std::optional<std::string> parse_port_list(std::string_view text, std::vector<uint16_t>& out);
std::optional<std::string> parse_cidr(std::string_view text, Cidr& out);
std::optional<std::string> parse_cidr_list(std::string_view text, std::vector<Cidr>& out);
std::optional<std::string> parse_id_list(std::string_view text, std::vector<uint32_t>& out);

// Checks every flag; on failure returns "flag: message" and leaves `out` partial.
std::optional<std::string> validate_flags(const IptablesFlags& flags, IptablesConfig& out);

enum class Family { kIPv4, kIPv6 };

// One rule in the nat table, in iptables-save syntax without the "-A CHAIN".
struct Rule {
  std::string chain;
  std::string spec;
};

// The rules for one family, in order.
std::vector<Rule> build_rules(const IptablesConfig& config, Family family);

// iptables-restore input (for --noflush): declares the ISTIO_* chains (which
// flushes ours if they exist), deletes our jump rules listed in `current_nat`
// (an iptables-save dump of the nat table; "" when unknown) so a re-run does not
// duplicate them, then appends `rules`.
std::string render_apply(const std::vector<Rule>& rules, std::string_view current_nat);

// iptables-restore input (for --noflush) that removes what render_apply added:
// every rule in another chain that jumps to one of our chains, then our chains.
// Empty when `current_nat` holds nothing of ours.
std::string render_cleanup(std::string_view current_nat);

// The iptables-save form of `rules` (as if they were applied to empty tables);
// feeds render_cleanup for `--cleanup --dry-run`.
std::string render_as_saved(const std::vector<Rule>& rules);

}  // namespace mesh::inject
