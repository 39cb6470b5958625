#include <doctest/doctest.h>

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
