// Capture rules: what Istio's istio-iptables programs in the nat table for
// REDIRECT mode, written in iptables-save syntax so the same text can be fed to
// iptables-restore, compared with a dump, and deleted rule by rule.
#include "inject/iptables.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <set>

#include <fmt/format.h>

namespace mesh::inject {
namespace {

constexpr std::array<std::string_view, 4> kOurChains = {kInboundChain, kInRedirectChain, kOutputChain,
                                                        kRedirectChain};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits a comma list; fails on an empty element ("80,,90", "80,").
std::optional<std::string> split_list(std::string_view text, std::vector<std::string_view>& out) {
  if (trim(text).empty()) return std::nullopt;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string_view item = trim(text.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (item.empty()) return fmt::format("empty element in list \"{}\"", text);
    out.push_back(item);
    if (comma == std::string_view::npos) return std::nullopt;
    start = comma + 1;
  }
}

bool parse_decimal(std::string_view text, uint64_t max, uint64_t& out) {
  if (text.empty() || text.size() > 10) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && out <= max;
}

template <typename T>
void push_unique(std::vector<T>& v, const T& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

bool is_loopback(const Cidr& c) {
  return c.v6 ? c.text.rfind("::1/", 0) == 0 : c.text.rfind("127.", 0) == 0;
}

}  // namespace

std::optional<std::string> parse_port(std::string_view text, uint16_t& out) {
  uint64_t v = 0;
  if (!parse_decimal(trim(text), 65535, v) || v == 0) {
    return fmt::format("invalid port \"{}\" (want a number from 1 to 65535)", text);
  }
  out = static_cast<uint16_t>(v);
  return std::nullopt;
}

std::optional<std::string> parse_port_list(std::string_view text, std::vector<uint16_t>& out) {
  std::vector<std::string_view> items;
  if (auto err = split_list(text, items)) return err;
  for (auto item : items) {
    uint16_t port = 0;
    if (auto err = parse_port(item, port)) return err;
    push_unique(out, port);
  }
  return std::nullopt;
}

std::optional<std::string> parse_cidr(std::string_view text, Cidr& out) {
  std::string s(trim(text));
  size_t slash = s.find('/');
  std::string addr = s.substr(0, slash);
  unsigned char bytes[16] = {};
  bool v6 = addr.find(':') != std::string::npos;
  if (inet_pton(v6 ? AF_INET6 : AF_INET, addr.c_str(), bytes) != 1) {
    return fmt::format("invalid CIDR \"{}\" (want an address with an optional /prefix)", text);
  }
  uint64_t bits = v6 ? 128 : 32;
  if (slash != std::string::npos && !parse_decimal(s.substr(slash + 1), bits, bits)) {
    return fmt::format("invalid CIDR \"{}\": prefix length must be 0 to {}", text, v6 ? 128 : 32);
  }
  size_t len = v6 ? 16 : 4;
  for (size_t i = 0; i < len; ++i) {  // clear host bits so the text is canonical
    size_t keep = bits > i * 8 ? std::min<uint64_t>(8, bits - i * 8) : 0;
    bytes[i] &= static_cast<unsigned char>(keep == 0 ? 0 : 0xff << (8 - keep));
  }
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, buf, sizeof buf);
  out = Cidr{v6, fmt::format("{}/{}", buf, bits)};
  return std::nullopt;
}

std::optional<std::string> parse_cidr_list(std::string_view text, std::vector<Cidr>& out) {
  std::vector<std::string_view> items;
  if (auto err = split_list(text, items)) return err;
  for (auto item : items) {
    Cidr cidr;
    if (auto err = parse_cidr(item, cidr)) return err;
    push_unique(out, cidr);
  }
  return std::nullopt;
}

std::optional<std::string> parse_id_list(std::string_view text, std::vector<uint32_t>& out) {
  std::vector<std::string_view> items;
  if (auto err = split_list(text, items)) return err;
  for (auto item : items) {
    uint64_t id = 0;
    if (!parse_decimal(item, 4294967294u, id)) return fmt::format("invalid user/group id \"{}\"", item);
    push_unique(out, static_cast<uint32_t>(id));
  }
  return std::nullopt;
}

namespace {

std::optional<std::string> in_flag(std::string_view flag, std::optional<std::string> err) {
  if (err) return fmt::format("{}: {}", flag, *err);
  return std::nullopt;
}

std::optional<std::string> validate_ports(const IptablesFlags& f, IptablesConfig& c) {
  if (auto e = in_flag("-p/--envoy-port", parse_port(f.outbound_capture_port, c.outbound_capture_port)))
    return e;
  if (auto e =
          in_flag("-z/--inbound-capture-port", parse_port(f.inbound_capture_port, c.inbound_capture_port)))
    return e;
  c.capture_all_inbound = trim(f.include_inbound_ports) == "*";
  if (!c.capture_all_inbound) {
    if (auto e = in_flag("-b/--istio-inbound-ports",
                         parse_port_list(f.include_inbound_ports, c.include_inbound_ports)))
      return e;
  }
  if (auto e = in_flag("-d/--istio-local-exclude-ports",
                       parse_port_list(f.exclude_inbound_ports, c.exclude_inbound_ports)))
    return e;
  if (auto e = in_flag("-o/--istio-local-outbound-ports-exclude",
                       parse_port_list(f.exclude_outbound_ports, c.exclude_outbound_ports)))
    return e;
  if (auto e = in_flag("-q/--istio-outbound-ports",
                       parse_port_list(f.include_outbound_ports, c.include_outbound_ports)))
    return e;
  return in_flag("--dns-capture-port", parse_port(f.dns_capture_port, c.dns_capture_port));
}

}  // namespace

std::optional<std::string> validate_flags(const IptablesFlags& f, IptablesConfig& c) {
  if (f.mode != "REDIRECT") {
    return fmt::format("-m/--istio-inbound-interception-mode: unsupported mode \"{}\" (only REDIRECT)",
                       f.mode);
  }
  if (auto e = validate_ports(f, c)) return e;
  if (auto e = in_flag("-u/--proxy-uid", parse_id_list(f.proxy_uid, c.proxy_uids))) return e;
  if (auto e = in_flag("-g/--proxy-gid", parse_id_list(f.proxy_gid, c.proxy_gids))) return e;
  c.capture_all_outbound = trim(f.include_outbound_cidrs) == "*";
  if (!c.capture_all_outbound) {
    if (auto e = in_flag("-i/--istio-service-cidr",
                         parse_cidr_list(f.include_outbound_cidrs, c.include_outbound_cidrs)))
      return e;
  }
  if (trim(f.exclude_outbound_cidrs) == "*") {
    return std::string("-x/--istio-service-exclude-cidr: \"*\" is not allowed (it would exclude everything)");
  }
  if (auto e = in_flag("-x/--istio-service-exclude-cidr",
                       parse_cidr_list(f.exclude_outbound_cidrs, c.exclude_outbound_cidrs)))
    return e;
  c.redirect_dns = f.redirect_dns;
  return std::nullopt;
}

namespace {

struct RuleBuilder {
  const IptablesConfig& c;
  bool v6;
  std::vector<Rule> rules;

  void add(std::string_view chain, std::string spec) {
    rules.push_back({std::string(chain), std::move(spec)});
  }
  std::string loopback() const { return v6 ? "::1/128" : "127.0.0.1/32"; }
  // The inbound passthrough cluster connects to the app from this source, so
  // that traffic must never be captured again.
  std::string passthrough_source() const { return v6 ? "::6/128" : "127.0.0.6/32"; }
  bool mine(const Cidr& cidr) const { return cidr.v6 == v6; }

  void redirect_chains();
  void inbound();
  void owner_rules(std::string_view kind, uint32_t id, bool loopback_included);
  void outbound();
};

void RuleBuilder::redirect_chains() {
  add(kRedirectChain, fmt::format("-p tcp -j REDIRECT --to-ports {}", c.outbound_capture_port));
  add(kInRedirectChain, fmt::format("-p tcp -j REDIRECT --to-ports {}", c.inbound_capture_port));
}

void RuleBuilder::inbound() {
  if (!c.capture_all_inbound && c.include_inbound_ports.empty()) return;
  add("PREROUTING", fmt::format("-p tcp -j {}", kInboundChain));
  if (!c.capture_all_inbound) {
    for (uint16_t port : c.include_inbound_ports) {
      add(kInboundChain, fmt::format("-p tcp -m tcp --dport {} -j {}", port, kInRedirectChain));
    }
    return;
  }
  for (uint16_t port : c.exclude_inbound_ports) {
    add(kInboundChain, fmt::format("-p tcp -m tcp --dport {} -j RETURN", port));
  }
  add(kInboundChain, fmt::format("-p tcp -j {}", kInRedirectChain));
}

// kind is "uid" or "gid".
void RuleBuilder::owner_rules(std::string_view kind, uint32_t id, bool loopback_included) {
  // The proxy calling its own pod IP (app -> VIP -> proxy -> same pod) goes
  // through lo: send it to the inbound listener so inbound policy applies.
  std::string not_dns = c.redirect_dns ? "-m tcp ! --dport 53 " : "";
  add(kOutputChain, fmt::format("! -d {} -o lo -p tcp {}-m owner --{}-owner {} -j {}", loopback(), not_dns,
                                kind, id, kInRedirectChain));
  // Other processes talking over lo (app to itself by pod IP) stay direct,
  // unless the user asked to capture loopback ranges.
  if (!loopback_included) {
    std::string proto = c.redirect_dns ? "-p tcp -m tcp ! --dport 53 " : "";
    add(kOutputChain, fmt::format("-o lo {}-m owner ! --{}-owner {} -j RETURN", proto, kind, id));
  }
  // The proxy's own traffic is never captured (that would loop forever).
  add(kOutputChain, fmt::format("-m owner --{}-owner {} -j RETURN", kind, id));
}

void RuleBuilder::outbound() {
  add("OUTPUT", fmt::format("-p tcp -j {}", kOutputChain));
  if (c.redirect_dns) add("OUTPUT", fmt::format("-p udp -m udp --dport 53 -j {}", kOutputChain));
  for (uint16_t port : c.exclude_outbound_ports) {
    add(kOutputChain, fmt::format("-p tcp -m tcp --dport {} -j RETURN", port));
    if (c.redirect_dns) add(kOutputChain, fmt::format("-p udp -m udp --dport {} -j RETURN", port));
  }
  add(kOutputChain, fmt::format("-s {} -o lo -j RETURN", passthrough_source()));
  bool loopback_included = std::any_of(c.include_outbound_cidrs.begin(), c.include_outbound_cidrs.end(),
                                       [](const Cidr& x) { return is_loopback(x); });
  for (uint32_t uid : c.proxy_uids) owner_rules("uid", uid, loopback_included);
  for (uint32_t gid : c.proxy_gids) owner_rules("gid", gid, loopback_included);
  if (c.redirect_dns) {
    add(kOutputChain, fmt::format("-p udp -m udp --dport 53 -j REDIRECT --to-ports {}", c.dns_capture_port));
    add(kOutputChain, fmt::format("-p tcp -m tcp --dport 53 -j REDIRECT --to-ports {}", c.dns_capture_port));
  }
  add(kOutputChain, fmt::format("-d {} -j RETURN", loopback()));
  for (const Cidr& cidr : c.exclude_outbound_cidrs) {
    if (mine(cidr)) add(kOutputChain, fmt::format("-d {} -j RETURN", cidr.text));
  }
  for (uint16_t port : c.include_outbound_ports) {
    add(kOutputChain, fmt::format("-p tcp -m tcp --dport {} -j {}", port, kRedirectChain));
  }
  if (c.capture_all_outbound) {
    add(kOutputChain, fmt::format("-j {}", kRedirectChain));
    return;
  }
  for (const Cidr& cidr : c.include_outbound_cidrs) {
    if (mine(cidr)) add(kOutputChain, fmt::format("-d {} -j {}", cidr.text, kRedirectChain));
  }
}

bool is_our_chain(std::string_view name) {
  return std::find(kOurChains.begin(), kOurChains.end(), name) != kOurChains.end();
}

// What a dump says about our state: the chains of ours that exist, and the
// rules in other chains that jump to them ("CHAIN spec").
struct SavedState {
  std::vector<std::string> chains;
  std::vector<Rule> jumps;
};

SavedState scan_saved(std::string_view dump) {
  SavedState state;
  bool in_nat = true;  // a dump of only the nat table may lack the header
  while (!dump.empty()) {
    size_t nl = dump.find('\n');
    std::string_view line = trim(dump.substr(0, nl));
    dump.remove_prefix(nl == std::string_view::npos ? dump.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.rfind('*', 0) == 0) in_nat = line == "*nat";
    if (!in_nat) continue;
    if (line.rfind(':', 0) == 0) {
      std::string_view name = line.substr(1, line.find(' ') - 1);
      if (is_our_chain(name)) state.chains.emplace_back(name);
    } else if (line.rfind("-A ", 0) == 0) {
      std::string_view rest = line.substr(3);
      std::string_view chain = rest.substr(0, rest.find(' '));
      if (is_our_chain(chain) || chain.size() == rest.size()) continue;
      std::string_view spec = trim(rest.substr(chain.size()));
      size_t j = spec.rfind("-j ");
      if (j != std::string_view::npos && is_our_chain(trim(spec.substr(j + 3)))) {
        state.jumps.push_back({std::string(chain), std::string(spec)});
      }
    }
  }
  return state;
}

}  // namespace

std::vector<Rule> build_rules(const IptablesConfig& config, Family family) {
  RuleBuilder b{config, family == Family::kIPv6, {}};
  b.redirect_chains();
  b.inbound();
  b.outbound();
  return std::move(b.rules);
}

std::string render_apply(const std::vector<Rule>& rules, std::string_view current_nat) {
  SavedState state = scan_saved(current_nat);
  std::string out = "*nat\n";
  for (auto chain : kOurChains) out += fmt::format(":{} - [0:0]\n", chain);
  for (const auto& chain : state.chains) out += fmt::format("-F {}\n", chain);
  for (const auto& jump : state.jumps) out += fmt::format("-D {} {}\n", jump.chain, jump.spec);
  for (const auto& rule : rules) out += fmt::format("-A {} {}\n", rule.chain, rule.spec);
  out += "COMMIT\n";
  return out;
}

std::string render_cleanup(std::string_view current_nat) {
  SavedState state = scan_saved(current_nat);
  if (state.chains.empty() && state.jumps.empty()) return "";
  std::string out = "*nat\n";
  for (const auto& jump : state.jumps) out += fmt::format("-D {} {}\n", jump.chain, jump.spec);
  for (const auto& chain : state.chains) out += fmt::format("-F {}\n", chain);
  for (const auto& chain : state.chains) out += fmt::format("-X {}\n", chain);
  out += "COMMIT\n";
  return out;
}

std::string render_as_saved(const std::vector<Rule>& rules) {
  std::string out = "*nat\n";
  for (auto chain : {"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"})
    out += fmt::format(":{} ACCEPT [0:0]\n", chain);
  for (auto chain : kOurChains) out += fmt::format(":{} - [0:0]\n", chain);
  for (const auto& rule : rules) out += fmt::format("-A {} {}\n", rule.chain, rule.spec);
  out += "COMMIT\n";
  return out;
}

}  // namespace mesh::inject
