// Istio's headers.request/response set/add/remove applied to any header
// container. The data plane adapts its own representation by providing:
//   void remove(std::string_view name);                         // every value
//   void set(std::string_view name, std::string_view value);    // replace all values
//   void add(std::string_view name, std::string_view value);    // append a value
// Names compare case-insensitively. Envoy's order is kept: removals first, then
// set entries, then add entries. Values go out as written (Envoy's %VAR%
// substitutions are not interpreted). Pseudo-headers and Host cannot be
// removed; setting "host" or ":authority" rewrites the authority, as Istio does.
// For destination- and route-level ops, apply the destination's first, then the
// route's (Envoy: the least specific level is applied last and wins).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/proxyconfig/proxy_config.h"

namespace mesh::policy {

bool header_name_equal(std::string_view a, std::string_view b);

// Host and ":"-prefixed names are never removed by configuration.
inline bool header_removal_allowed(std::string_view name) {
  return !name.starts_with(':') && !header_name_equal(name, "host");
}

// ":authority" is set through the container's "host".
inline std::string_view header_target_name(std::string_view name) {
  return header_name_equal(name, ":authority") ? std::string_view("host") : name;
}

template <class Headers>
void apply_header_ops(const pc::HeaderOps& ops, Headers& headers) {
  for (const std::string& name : ops.remove) {
    if (header_removal_allowed(name)) headers.remove(name);
  }
  for (const auto& [name, value] : ops.set) headers.set(header_target_name(name), value);
  for (const auto& [name, value] : ops.add) {
    const std::string_view target = header_target_name(name);
    // A request has one authority: adding one replaces it.
    if (header_name_equal(target, "host")) {
      headers.set(target, value);
    } else {
      headers.add(target, value);
    }
  }
}

// The same result for writers that copy a parsed head out field by field (as
// core/net's in-place Http1Head): skip each original field for which drops()
// is true, then write the fields for_each_added() yields. `levels` are applied
// in order (destination, then route), as apply_header_ops called per level
// would; nothing is allocated.
class LayeredHeaderOps {
 public:
  explicit LayeredHeaderOps(std::span<const pc::HeaderOps* const> levels) : levels_(levels) {}

  bool drops(std::string_view name) const { return removed_or_set_after(name, 0); }

  template <class Emit>  // Emit: void(std::string_view name, std::string_view value)
  void for_each_added(Emit&& emit) const {
    std::optional<std::string_view> host;  // one authority: the last one written wins
    for (size_t i = 0; i < levels_.size(); ++i) {
      if (!levels_[i]) continue;
      auto visit = [&](const std::string& name, const std::string& value) {
        const std::string_view target = header_target_name(name);
        if (header_name_equal(target, "host")) {
          host = value;
        } else if (!removed_or_set_after(target, i + 1)) {
          emit(target, std::string_view(value));
        }
      };
      for (const auto& [name, value] : levels_[i]->set) visit(name, value);
      for (const auto& [name, value] : levels_[i]->add) visit(name, value);
    }
    if (host) emit(std::string_view("host"), *host);
  }

 private:
  static bool set_in(const pc::HeaderOps& ops, std::string_view name);
  // Whether a level at or after `from` removes or replaces `name`.
  bool removed_or_set_after(std::string_view name, size_t from) const;

  std::span<const pc::HeaderOps* const> levels_;
};

// A plain ordered header list satisfying the interface above; used by tests
// and by callers without a header map of their own.
class HeaderList {
 public:
  using Entry = std::pair<std::string, std::string>;
  void remove(std::string_view name);
  void set(std::string_view name, std::string_view value);
  void add(std::string_view name, std::string_view value) { entries_.emplace_back(name, value); }
  // The first value of `name`, or nullptr.
  const std::string* get(std::string_view name) const;
  size_t count(std::string_view name) const;
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

}  // namespace mesh::policy
