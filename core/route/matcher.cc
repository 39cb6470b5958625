#include "core/route/matcher.h"

#include <fmt/format.h>

namespace mesh::route {

namespace {

using pc::StringMatcher;

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Reused per thread so matching allocates only until the buffers have grown.
thread_local std::string t_value_scratch;
thread_local std::string t_host_scratch;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Envoy matches query parameters after percent-decoding; malformed escapes stay as written.
std::string_view percent_decode(std::string_view raw, std::string& scratch) {
  if (raw.find('%') == std::string_view::npos) return raw;
  scratch.clear();
  for (size_t i = 0; i < raw.size(); ++i) {
    int hi = -1, lo = -1;
    if (raw[i] == '%' && i + 2 < raw.size()) {
      hi = hex_digit(raw[i + 1]);
      lo = hex_digit(raw[i + 2]);
    }
    if (hi >= 0 && lo >= 0) {
      scratch.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      scratch.push_back(raw[i]);
    }
  }
  return scratch;
}

std::string describe(const StringMatcher& m) {
  std::string_view suffix = m.ignore_case ? " (ignoring case)" : "";
  switch (m.kind) {
    case StringMatcher::Kind::kExact:
      return fmt::format("exact \"{}\"{}", m.value, suffix);
    case StringMatcher::Kind::kPrefix:
      return fmt::format("prefix \"{}\"{}", m.value, suffix);
    case StringMatcher::Kind::kRegex:
      return fmt::format("regex \"{}\"{}", m.value, m.regex ? "" : " (not compiled)");
    case StringMatcher::Kind::kPresent:
      break;
  }
  return "present";
}

// Each check returns true on a match; on a mismatch it fills *why when asked.
bool check_field(const std::optional<StringMatcher>& m, std::string_view what, std::string_view value,
                 std::string* why) {
  if (!m || matches(*m, value)) return true;
  if (why) *why = fmt::format("{} {} did not match \"{}\"", what, describe(*m), value);
  return false;
}

bool check_header(const pc::HeaderMatcher& h, const RequestView& r, std::string* why) {
  std::optional<std::string_view> value = r.header_joined(h.name, t_value_scratch);
  bool matched = value && matches(h.match, *value);
  if (matched != h.invert) return true;
  if (!why) return false;
  if (h.invert) {
    *why = fmt::format("header {}: withoutHeaders {} matched \"{}\"", h.name, describe(h.match), *value);
  } else if (value) {
    *why = fmt::format("header {}: {} did not match \"{}\"", h.name, describe(h.match), *value);
  } else {
    *why = fmt::format("header {}: {} but the header is absent", h.name, describe(h.match));
  }
  return false;
}

bool check_query_param(const pc::QueryParamMatcher& q, const RequestView& r, std::string* why) {
  std::optional<std::string_view> raw = r.query_param(q.name);
  if (raw && matches(q.match, percent_decode(*raw, t_value_scratch))) return true;
  if (!why) return false;
  if (raw) {
    *why = fmt::format("query parameter {}: {} did not match \"{}\"", q.name, describe(q.match),
                       percent_decode(*raw, t_value_scratch));
  } else {
    *why = fmt::format("query parameter {}: {} but the parameter is absent", q.name, describe(q.match));
  }
  return false;
}

// `path` is r.path_without_query(), computed once per request by the callers.
bool check_match(const pc::RouteMatch& m, const RequestView& r, std::string_view path, std::string* why) {
  if (!check_field(m.uri, "uri", path, why)) return false;
  if (!check_field(m.method, "method", r.method, why)) return false;
  if (!check_field(m.scheme, "scheme", r.scheme, why)) return false;
  if (!check_field(m.authority, "authority", r.authority, why)) return false;
  if (m.port != 0 && m.port != r.port) {
    if (why) *why = fmt::format("port {} did not match {}", m.port, r.port);
    return false;
  }
  for (const pc::HeaderMatcher& h : m.headers) {
    if (!check_header(h, r, why)) return false;
  }
  for (const pc::QueryParamMatcher& q : m.query_params) {
    if (!check_query_param(q, r, why)) return false;
  }
  return true;
}

std::string route_label(const pc::Route& route, size_t index) {
  return route.name.empty() ? fmt::format("route {}", index)
                            : fmt::format("route {} ({})", index, route.name);
}

std::string block_label(const pc::RouteMatch& m, size_t index) {
  return m.name.empty() ? fmt::format("match {}", index) : fmt::format("match {} ({})", index, m.name);
}

// Host part of an authority: "a:80" -> "a", "[::1]:80" -> "[::1]"; unchanged without a port.
std::string_view strip_port(std::string_view authority) {
  size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == authority.size()) return authority;
  if (authority.front() == '[' ? authority[colon - 1] != ']' : authority.find(':') != colon) return authority;
  for (char c : authority.substr(colon + 1)) {
    if (c < '0' || c > '9') return authority;
  }
  return authority.substr(0, colon);
}

std::string_view lower_into(std::string_view s, char* buf, size_t cap, std::string& fallback) {
  char* out = buf;
  if (s.size() > cap) {
    fallback.resize(s.size());
    out = fallback.data();
  }
  for (size_t i = 0; i < s.size(); ++i) out[i] = lower(s[i]);
  return {out, s.size()};
}

using Wildcards = std::vector<std::pair<std::string, size_t>>;

// The '*' must stand for at least one character, as in Envoy.
std::optional<size_t> find_wildcard(const Wildcards& list, std::string_view host, bool suffix) {
  for (const auto& [fixed, index] : list) {
    if (host.size() <= fixed.size()) continue;
    if (suffix ? host.ends_with(fixed) : host.starts_with(fixed)) return index;
  }
  return std::nullopt;
}

bool is_indexed(const pc::RouteTable& t) {
  return !t.exact_domains.empty() || !t.wildcard_suffixes.empty() || !t.wildcard_prefixes.empty() ||
         t.catch_all;
}

// For route tables nobody indexed (hand-built ones): index a copy. Slow, never the data plane's path.
const pc::VirtualHost* select_unindexed(const pc::RouteTable& table, std::string_view authority) {
  pc::RouteTable copy;
  copy.virtual_hosts = table.virtual_hosts;
  copy.index();
  if (!is_indexed(copy)) return nullptr;  // no virtual host claims any domain
  const pc::VirtualHost* found = select_virtual_host(copy, authority);
  return found ? &table.virtual_hosts[static_cast<size_t>(found - copy.virtual_hosts.data())] : nullptr;
}

}  // namespace

std::string_view RequestView::path_without_query() const {
  return path.substr(0, path.find('?'));
}

std::string_view RequestView::query() const {
  size_t q = path.find('?');
  return q == std::string_view::npos ? std::string_view{} : path.substr(q + 1);
}

std::optional<std::string_view> RequestView::header(std::string_view lower_name) const {
  if (lower_name == ":authority" || lower_name == "host") return authority;
  if (lower_name == ":method") return method;
  if (lower_name == ":path") return path;
  if (lower_name == ":scheme") return scheme;
  for (const HeaderField& h : headers) {
    if (h.name == lower_name) return h.value;
  }
  return std::nullopt;
}

std::optional<std::string_view> RequestView::header_joined(std::string_view lower_name,
                                                           std::string& scratch) const {
  if (lower_name.starts_with(':') || lower_name == "host") return header(lower_name);
  std::optional<std::string_view> first;
  bool joined = false;
  for (const HeaderField& h : headers) {
    if (h.name != lower_name) continue;
    if (!first) {
      first = h.value;
      continue;
    }
    if (!joined) scratch.assign(*first);
    joined = true;
    scratch.push_back(',');
    scratch.append(h.value);
  }
  if (joined) return std::string_view(scratch);
  return first;
}

std::optional<std::string_view> RequestView::query_param(std::string_view name) const {
  std::string_view rest = query();
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
  }
  return std::nullopt;
}

const pc::VirtualHost* select_virtual_host(const pc::RouteTable& table, std::string_view authority) {
  if (!is_indexed(table)) return table.virtual_hosts.empty() ? nullptr : select_unindexed(table, authority);
  char buf[256];
  const std::string_view host = lower_into(authority, buf, sizeof buf, t_host_scratch);
  const std::string_view bare = strip_port(host);
  const std::string_view candidates[2] = {host, bare};
  const size_t count = bare.size() == host.size() ? 1 : 2;
  auto at = [&](size_t index) { return &table.virtual_hosts[index]; };
  for (size_t i = 0; i < count; ++i) {
    auto it = table.exact_domains.find(candidates[i]);
    if (it != table.exact_domains.end()) return at(it->second);
  }
  for (bool suffix : {true, false}) {
    for (size_t i = 0; i < count; ++i) {
      auto found =
          find_wildcard(suffix ? table.wildcard_suffixes : table.wildcard_prefixes, candidates[i], suffix);
      if (found) return at(*found);
    }
  }
  return table.catch_all ? at(*table.catch_all) : nullptr;
}

bool matches(const StringMatcher& m, std::string_view value) {
  switch (m.kind) {
    case StringMatcher::Kind::kExact:
      return m.ignore_case ? iequals(value, m.value) : value == m.value;
    case StringMatcher::Kind::kPrefix:
      return m.ignore_case ? istarts_with(value, m.value) : value.starts_with(m.value);
    case StringMatcher::Kind::kRegex:
      return m.regex && RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *m.regex);
    case StringMatcher::Kind::kPresent:
      return true;
  }
  return false;
}

bool matches(const pc::RouteMatch& match, const RequestView& request) {
  return check_match(match, request, request.path_without_query(), nullptr);
}

std::optional<std::string> why_not(const pc::RouteMatch& match, const RequestView& request) {
  std::string why;
  if (check_match(match, request, request.path_without_query(), &why)) return std::nullopt;
  return why;
}

RouteMatchResult match_route(const pc::VirtualHost& vhost, const RequestView& request) {
  const std::string_view path = request.path_without_query();
  for (size_t i = 0; i < vhost.routes.size(); ++i) {
    const pc::Route& route = vhost.routes[i];
    if (route.matches.empty()) return {&route, i, 0};
    for (size_t j = 0; j < route.matches.size(); ++j) {
      if (check_match(route.matches[j], request, path, nullptr)) return {&route, i, j};
    }
  }
  return {};
}

RouteMatchResult explain_route(const pc::VirtualHost& vhost, const RequestView& request,
                               std::vector<std::string>& reasons) {
  for (size_t i = 0; i < vhost.routes.size(); ++i) {
    const pc::Route& route = vhost.routes[i];
    if (route.matches.empty()) return {&route, i, 0};
    std::string line = route_label(route, i) + ": ";
    for (size_t j = 0; j < route.matches.size(); ++j) {
      std::optional<std::string> why = why_not(route.matches[j], request);
      if (!why) return {&route, i, j};
      if (route.matches.size() > 1) line += (j ? "; " : "") + block_label(route.matches[j], j) + ": ";
      line += *why;
    }
    reasons.push_back(std::move(line));
  }
  return {};
}

const pc::WeightedCluster& pick_weighted(const pc::ForwardAction& action, uint64_t random) {
  static const pc::WeightedCluster kNone;
  if (action.clusters.empty()) return kNone;
  uint64_t total = 0;
  for (const pc::WeightedCluster& c : action.clusters) total += c.weight;
  if (total == 0) return action.clusters.front();
  uint64_t point = random % total;
  for (const pc::WeightedCluster& c : action.clusters) {
    if (point < c.weight) return c;
    point -= c.weight;
  }
  return action.clusters.back();
}

}  // namespace mesh::route
