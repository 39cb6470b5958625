#include "core/model/host_index.h"

#include <doctest/doctest.h>

using namespace mesh::model;

TEST_CASE("hosts_match: equal hosts and wildcards either way") {
  CHECK(hosts_match("a.ns.svc.cluster.local", "a.ns.svc.cluster.local"));
  CHECK(hosts_match("*.example.com", "api.example.com"));
  CHECK(hosts_match("api.example.com", "*.example.com"));
  CHECK(hosts_match("*.example.com", "*.api.example.com"));
  CHECK_FALSE(hosts_match("*.example.com", "example.com"));
  CHECK_FALSE(hosts_match("a.example.com", "b.example.com"));
}

TEST_CASE("HostIndex: every matching entry, exact and wildcard, in index order") {
  HostIndex index;
  index.add("*.example.com", 0);
  index.add("api.example.com", 1);
  index.add("web.example.com", 2);
  index.add("api.example.com", 3);
  index.add("*", 4);
  CHECK(index.matches("api.example.com") == std::vector<size_t>{0, 1, 3, 4});
  CHECK(index.matches("web.example.com") == std::vector<size_t>{0, 2, 4});
  CHECK(index.matches("other.org") == std::vector<size_t>{4});
  CHECK(index.matches("*.example.com") == std::vector<size_t>{0, 1, 2, 3, 4});
  CHECK(HostIndex().matches("api.example.com").empty());
}
