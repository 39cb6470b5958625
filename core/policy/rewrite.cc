#include "core/policy/rewrite.h"

#include <charconv>

namespace mesh::policy {

namespace {

uint32_t default_port(std::string_view scheme) {
  return scheme == "https" ? 443 : scheme == "http" ? 80 : 0;
}

// The length of the request path covered by the matched uri prefix.
size_t matched_prefix_length(const pc::StringMatcher* m, std::string_view path) {
  if (!m || m->kind == pc::StringMatcher::Kind::kPresent) return path.starts_with('/') ? 1 : 0;
  return std::min(m->value.size(), path.size());
}

}  // namespace

SplitPath split_path(std::string_view path_and_query) {
  const size_t q = path_and_query.find('?');
  if (q == std::string_view::npos) return {path_and_query, {}};
  return {path_and_query.substr(0, q), path_and_query.substr(q)};
}

HostPort split_host_port(std::string_view authority) {
  const size_t colon = authority.rfind(':');
  const size_t bracket = authority.rfind(']');
  if (colon == std::string_view::npos || (bracket != std::string_view::npos && colon < bracket)) {
    return {authority, 0};
  }
  uint32_t port = 0;
  const std::string_view digits = authority.substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port > 65535) return {authority, 0};
  return {authority.substr(0, colon), port};
}

bool rewrite_path(const pc::RewritePolicy& rewrite, const pc::StringMatcher* matched_uri,
                  std::string_view path_and_query, std::string& out) {
  const SplitPath parts = split_path(path_and_query);
  if (rewrite.uri_regex) {
    std::string path(parts.path);
    RE2::GlobalReplace(&path, *rewrite.uri_regex, rewrite.uri_regex_substitution);
    out = path;
    out += parts.query;
    return true;
  }
  if (rewrite.uri.empty()) return false;
  using Kind = pc::StringMatcher::Kind;
  const bool whole = matched_uri && (matched_uri->kind == Kind::kExact || matched_uri->kind == Kind::kRegex);
  if (whole) {
    out = rewrite.uri;
    out += parts.query;
    return true;
  }
  out = rewrite.uri;
  out += path_and_query.substr(matched_prefix_length(matched_uri, parts.path));
  return true;
}

std::string redirect_location(const pc::RedirectAction& redirect, const RedirectRequest& request) {
  using Derive = model::HTTPRedirect::DerivePort;
  const std::string_view scheme =
      redirect.scheme.empty() ? request.scheme : std::string_view(redirect.scheme);
  const HostPort original = split_host_port(request.host);
  HostPort target = redirect.authority.empty() ? original : split_host_port(redirect.authority);
  if (redirect.port != 0) {
    target.port = redirect.port;
  } else if (redirect.derive_port == Derive::kFromProtocolDefault) {
    target.port = default_port(scheme);
  } else if (redirect.derive_port == Derive::kFromRequestPort) {
    target.port = original.port != 0 ? original.port : request.port;
  } else if (redirect.authority.empty() && scheme != request.scheme &&
             original.port == default_port(request.scheme)) {
    target.port = 0;  // a scheme change drops the old scheme's default port
  }
  std::string location(scheme);
  location += "://";
  location += target.host;
  if (target.port != 0 && target.port != default_port(scheme)) {
    location += ':';
    location += std::to_string(target.port);
  }
  if (redirect.path.empty()) {
    location += request.path;
  } else {
    location += redirect.path;
    // A path with its own query replaces the request's; otherwise the query is kept.
    if (redirect.path.find('?') == std::string::npos) location += split_path(request.path).query;
  }
  return location;
}

std::string shadow_host(std::string_view host) {
  const HostPort hp = split_host_port(host);
  std::string out(hp.host);
  out += "-shadow";
  if (hp.port != 0) out += host.substr(hp.host.size());
  return out;
}

}  // namespace mesh::policy
