// PASSTHROUGH end to end: a connection iptables redirected to the proxy is
// forwarded to where the client was going. The whole test process moves into
// a network namespace of its own (gone when the process exits), so the nat
// rule never touches the machine's. Needs root; skipped otherwise.
#include <doctest/doctest.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>

#include "test/proxy/cluster_fixture.h"

using namespace mesh;
using namespace mesh::test;

namespace {

bool own_network_namespace() {
  return geteuid() == 0 && unshare(CLONE_NEWNET) == 0 && std::system("ip link set lo up") == 0;
}

}  // namespace

TEST_CASE("a redirected connection goes to its original destination; an unredirected one gets 503 UH") {
  if (!own_network_namespace()) {
    MESSAGE("skipped: needs root to make a network namespace");
    return;
  }
  TestUpstream target;
  auto cfg = default_config(target.port());
  pc::Cluster passthrough;
  passthrough.name = "up";  // the default route's cluster, now with no endpoints
  passthrough.passthrough = true;
  cfg->clusters[0] = passthrough;
  proxy::ProxyOptions opts;
  opts.concurrency = 1;
  ProxyFixture f(opts, cfg);
  REQUIRE(f.started());
  // Only the client's connections (from 127.0.0.3) are redirected; the proxy's are not.
  std::string rule = "iptables -t nat -A OUTPUT -p tcp -s 127.0.0.3 -j REDIRECT --to-ports " + std::to_string(f.port());
  REQUIRE(std::system(rule.c_str()) == 0);

  Client redirected(target.port(), "127.0.0.3");
  redirected.send(get("/through"));
  Response r = redirected.read();
  CHECK(r.status == 200);
  CHECK(r.body == "/through");
  auto seen = target.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].headers["x-forwarded-for"] == "127.0.0.3");

  Response direct = request(f.port(), get("/direct"));
  CHECK(direct.status == 503);
  CHECK(direct.body == "no healthy upstream");
  CHECK(target.seen().size() == 1);
}
