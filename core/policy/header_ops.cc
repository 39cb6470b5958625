#include "core/policy/header_ops.h"

#include <algorithm>

namespace mesh::policy {

namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

bool header_name_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

bool LayeredHeaderOps::set_in(const pc::HeaderOps& ops, std::string_view name) {
  const std::string_view target = header_target_name(name);
  return std::any_of(ops.set.begin(), ops.set.end(),
                     [&](const auto& kv) { return header_name_equal(header_target_name(kv.first), target); });
}

bool LayeredHeaderOps::removed_or_set_after(std::string_view name, size_t from) const {
  const std::string_view target = header_target_name(name);
  for (size_t i = from; i < levels_.size(); ++i) {
    const pc::HeaderOps* ops = levels_[i];
    if (!ops) continue;
    for (const std::string& removed : ops->remove) {
      if (header_removal_allowed(removed) && header_name_equal(removed, target)) return true;
    }
    if (set_in(*ops, target)) return true;
    // An added host replaces the authority too.
    if (header_name_equal(target, "host")) {
      for (const auto& kv : ops->add) {
        if (header_name_equal(header_target_name(kv.first), "host")) return true;
      }
    }
  }
  return false;
}

void HeaderList::remove(std::string_view name) {
  std::erase_if(entries_, [&](const Entry& e) { return header_name_equal(e.first, name); });
}

// Replaces the first occurrence in place (keeping the header's position) and
// drops the rest; appends when absent.
void HeaderList::set(std::string_view name, std::string_view value) {
  auto first = std::find_if(entries_.begin(), entries_.end(),
                            [&](const Entry& e) { return header_name_equal(e.first, name); });
  if (first == entries_.end()) {
    add(name, value);
    return;
  }
  first->second.assign(value);
  const size_t keep = static_cast<size_t>(first - entries_.begin());
  size_t index = 0;
  std::erase_if(entries_,
                [&](const Entry& e) { return index++ != keep && header_name_equal(e.first, name); });
}

const std::string* HeaderList::get(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (header_name_equal(e.first, name)) return &e.second;
  }
  return nullptr;
}

size_t HeaderList::count(std::string_view name) const {
  return static_cast<size_t>(std::count_if(entries_.begin(), entries_.end(),
                                           [&](const Entry& e) { return header_name_equal(e.first, name); }));
}

}  // namespace mesh::policy
