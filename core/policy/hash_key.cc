#include "core/policy/hash_key.h"

#include <chrono>

#include "core/policy/hash.h"

namespace mesh::policy {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string hex64(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<size_t>(i)] = kDigits[v & 0xf];
  return out;
}

// Envoy's generated cookie: value from the client's address, quoted, with
// Max-Age only when the ttl is non-zero (zero: a session cookie).
HashKey generate_cookie(const model::ConsistentHashLB::Cookie& cookie, const HashInputs& in) {
  std::string address(in.source_ip);
  address += ':';
  address += std::to_string(in.source_port);
  const std::string value = hex64(xxhash64(address));
  HashKey key{xxhash64(value), cookie.name + "=\"" + value + "\""};
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*cookie.ttl).count();
  if (seconds > 0) key.set_cookie += "; Max-Age=" + std::to_string(seconds);
  if (!cookie.path.empty()) key.set_cookie += "; Path=" + cookie.path;
  key.set_cookie += "; HttpOnly";
  return key;
}

}  // namespace

std::string_view lower_header_name(std::string_view name, std::span<char> buffer) {
  if (name.size() > buffer.size()) return name;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    buffer[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return {buffer.data(), name.size()};
}

std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t end = header.find(';');
    std::string_view pair = trim(header.substr(0, end));
    header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name) continue;
    std::string_view value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    return value;
  }
  return std::nullopt;
}

std::optional<std::string_view> find_query_param(std::string_view path, std::string_view name) {
  const size_t q = path.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = path.substr(q + 1);
  if (const size_t hash = query.find('#'); hash != std::string_view::npos) query = query.substr(0, hash);
  while (!query.empty()) {
    const size_t end = query.find('&');
    const std::string_view param = query.substr(0, end);
    query = end == std::string_view::npos ? std::string_view{} : query.substr(end + 1);
    const size_t eq = param.find('=');
    if (param.substr(0, eq) != name) continue;
    return eq == std::string_view::npos ? std::string_view{} : param.substr(eq + 1);
  }
  return std::nullopt;
}

HashKey compute_hash_key(const model::ConsistentHashLB& config, const HashInputs& in) {
  using Key = model::ConsistentHashLB::Key;
  switch (config.key) {
    case Key::kHeader:
      if (in.header) return {xxhash64(*in.header), {}};
      break;
    case Key::kCookie:
      if (auto value = find_cookie(in.cookie_header, config.cookie.name)) return {xxhash64(*value), {}};
      if (config.cookie.ttl) return generate_cookie(config.cookie, in);
      break;
    case Key::kSourceIp:
      if (!in.source_ip.empty()) return {xxhash64(in.source_ip), {}};
      break;
    case Key::kQueryParameter:
      if (auto value = find_query_param(in.path, config.query_parameter_name)) return {xxhash64(*value), {}};
      break;
    case Key::kNone:
      break;
  }
  return {};
}

}  // namespace mesh::policy
