#include <doctest/doctest.h>

#include <cctype>
#include <map>

#include "core/policy/header_ops.h"

using mesh::policy::apply_header_ops;
using mesh::policy::HeaderList;

TEST_CASE("remove, then set, then add; names case-insensitive") {
  HeaderList h;
  h.add("X-Old", "1");
  h.add("x-keep", "a");
  h.add("x-keep", "b");
  h.add("x-multi", "1");
  mesh::pc::HeaderOps ops;
  ops.remove = {"x-old", "X-Added"};  // removal happens before adds, so x-added survives
  ops.set = {{"X-Keep", "c"}, {"x-new", "n"}};
  ops.add = {{"x-added", "%DOWNSTREAM_REMOTE_ADDRESS%"}, {"x-multi", "2"}};
  apply_header_ops(ops, h);
  CHECK(h.get("x-old") == nullptr);
  REQUIRE(h.get("x-keep"));
  CHECK(*h.get("x-keep") == "c");
  CHECK(h.count("x-keep") == 1);
  CHECK(*h.get("x-new") == "n");
  CHECK(*h.get("x-added") == "%DOWNSTREAM_REMOTE_ADDRESS%");  // left as written
  CHECK(h.count("x-multi") == 2);
  CHECK(h.entries()[0].first == "x-keep");  // set keeps the header's position
}

TEST_CASE("host and pseudo-headers cannot be removed; setting :authority sets host") {
  HeaderList h;
  h.add("host", "a.example");
  mesh::pc::HeaderOps ops;
  ops.remove = {"Host", ":path"};
  apply_header_ops(ops, h);
  CHECK(*h.get("host") == "a.example");
  mesh::pc::HeaderOps set_authority;
  set_authority.set = {{":authority", "b.example"}};
  apply_header_ops(set_authority, h);
  CHECK(*h.get("host") == "b.example");
  mesh::pc::HeaderOps add_host;
  add_host.add = {{"host", "c.example"}};
  apply_header_ops(add_host, h);
  CHECK(h.count("host") == 1);
  CHECK(*h.get("host") == "c.example");
}

TEST_CASE("destination ops first, then route ops: the route's set wins") {
  HeaderList h;
  mesh::pc::HeaderOps destination, route;
  destination.set = {{"x-version", "v2"}};
  route.set = {{"x-version", "route"}};
  apply_header_ops(destination, h);
  apply_header_ops(route, h);
  CHECK(*h.get("x-version") == "route");
}

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

// Streams `original` through LayeredHeaderOps the way a head writer would.
Fields streamed(const Fields& original, std::span<const mesh::pc::HeaderOps* const> levels) {
  mesh::policy::LayeredHeaderOps ops(levels);
  Fields out;
  for (const auto& f : original) {
    if (!ops.drops(f.first)) out.push_back(f);
  }
  ops.for_each_added([&](std::string_view n, std::string_view v) { out.emplace_back(n, v); });
  return out;
}

Fields applied(const Fields& original, std::span<const mesh::pc::HeaderOps* const> levels) {
  HeaderList h;
  for (const auto& f : original) h.add(f.first, f.second);
  for (const auto* ops : levels) apply_header_ops(*ops, h);
  return h.entries();
}

// Same headers with the same values in the same per-name order.
std::multimap<std::string, std::string> by_name(const Fields& fields) {
  std::multimap<std::string, std::string> out;
  for (const auto& [n, v] : fields) {
    std::string lower(n);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.emplace(lower, v);
  }
  return out;
}

}  // namespace

TEST_CASE("streaming the ops over a parsed head gives what applying them to a list gives") {
  const Fields original = {{"host", "a.example"}, {"x-a", "1"}, {"x-b", "1"}, {"x-b", "2"}, {"x-c", "1"}};
  mesh::pc::HeaderOps destination, route, only_host;
  destination.set = {{"x-a", "dest"}, {"x-d", "dest"}};
  destination.add = {{"x-b", "3"}, {"x-e", "dest"}};
  destination.remove = {"x-c"};
  route.set = {{"x-d", "route"}};
  route.add = {{"x-c", "route"}};
  route.remove = {"x-e", "host"};
  only_host.set = {{":authority", "b.example"}};
  const std::vector<std::vector<const mesh::pc::HeaderOps*>> cases = {
      {&destination},         {&route},
      {&destination, &route}, {&route, &destination},
      {&only_host, &route},   {&destination, &only_host}};
  for (const auto& levels : cases) {
    CAPTURE(levels.size());
    CHECK(by_name(streamed(original, levels)) == by_name(applied(original, levels)));
  }
}
