// Config listeners (proxy/listeners.h): which listeners a config change opens,
// closes and keeps, and the ListenerSet binding them for real workers (a port
// taken by someone else fails alone; kept listeners keep their port).
#include "proxy/listeners.h"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "proxy/worker.h"

using namespace mesh;
using proxy::ListenerSpec;

namespace {

ListenerSpec spec(uint32_t port, std::string table = "", std::string address = "127.0.0.1") {
  if (table.empty()) table = "http." + std::to_string(port);
  return ListenerSpec{address + "_" + std::to_string(port), address, port, table, pc::Listener::Protocol::kHttp, {}};
}

pc::Listener listener(uint32_t port, pc::Listener::Protocol protocol = pc::Listener::Protocol::kHttp) {
  pc::Listener l;
  l.name = "127.0.0.1_" + std::to_string(port);
  l.address = "127.0.0.1";
  l.port = port;
  l.protocol = protocol;
  l.route_table = "http." + std::to_string(port);
  return l;
}

std::vector<std::string> keys(const std::vector<ListenerSpec>& specs) {
  std::vector<std::string> out;
  for (const ListenerSpec& s : specs) out.push_back(s.key());
  return out;
}

// A port that is bound and listened on without SO_REUSEPORT: nobody else can have it.
struct TakenPort {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  uint16_t port = 0;
  TakenPort() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0);
    REQUIRE(::listen(fd, 1) == 0);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~TakenPort() { ::close(fd); }
};

}  // namespace

TEST_CASE("diff: new keys open, missing keys close, the rest are kept") {
  auto diff = proxy::diff_listeners({spec(8080), spec(9090)}, {spec(8080), spec(7070)});
  CHECK(keys(diff.open) == std::vector<std::string>{"127.0.0.1:7070"});
  CHECK(diff.close == std::vector<std::string>{"127.0.0.1:9090"});
  CHECK(keys(diff.keep) == std::vector<std::string>{"127.0.0.1:8080"});
  CHECK(diff.retable.empty());
}

TEST_CASE("diff: the same config changes nothing") {
  auto diff = proxy::diff_listeners({spec(8080), spec(9090)}, {spec(9090), spec(8080)});
  CHECK(diff.open.empty());
  CHECK(diff.close.empty());
  CHECK(diff.keep.size() == 2);
}

TEST_CASE("diff: another address is another listener; another route table keeps the socket") {
  auto diff = proxy::diff_listeners({spec(8080)}, {spec(8080, "", "0.0.0.0")});
  CHECK(keys(diff.open) == std::vector<std::string>{"0.0.0.0:8080"});
  CHECK(diff.close == std::vector<std::string>{"127.0.0.1:8080"});

  diff = proxy::diff_listeners({spec(8080)}, {spec(8080, "https.8080.x")});
  CHECK(diff.open.empty());
  CHECK(diff.close.empty());
  REQUIRE(diff.retable.size() == 1);
  CHECK(diff.retable[0].route_table == "https.8080.x");
}

TEST_CASE("diff: from nothing, and to nothing; a key listed twice opens once") {
  CHECK(keys(proxy::diff_listeners({}, {spec(8080), spec(8080)}).open) ==
        std::vector<std::string>{"127.0.0.1:8080"});
  CHECK(proxy::diff_listeners({spec(8080)}, {}).close == std::vector<std::string>{"127.0.0.1:8080"});
}

TEST_CASE("HTTP listeners and TCP ones with a route are served; the others are named with why") {
  pc::ProxyConfig config;
  pc::Listener tcp = listener(9000, pc::Listener::Protocol::kTcp);
  tcp.tcp_cluster = "outbound|9000|v1|echo.default.svc.cluster.local";
  tcp.tcp_weighted = {pc::WeightedCluster{tcp.tcp_cluster, "", 9000, "v1", 80, {}, {}},
                      pc::WeightedCluster{"outbound|9000|v2|echo.default.svc.cluster.local", "", 9000, "v2", 20, {}, {}}};
  config.listeners = {listener(8080), tcp, listener(9001, pc::Listener::Protocol::kTcp),
                      listener(8443, pc::Listener::Protocol::kTls)};
  std::vector<std::string> skipped;
  auto specs = proxy::served_listeners(config, skipped);
  CHECK(keys(specs) == std::vector<std::string>{"127.0.0.1:8080", "127.0.0.1:9000"});
  CHECK(specs[0].route_table == "http.8080");
  CHECK(specs[1].is_tcp());
  CHECK(specs[1].tcp.cluster == tcp.tcp_cluster);
  CHECK(specs[1].tcp.weighted.size() == 2);
  CHECK(skipped == std::vector<std::string>{"127.0.0.1_9001 (TCP, but no VirtualService tcp route for it)",
                                            "127.0.0.1_8443 (TLS listeners are not served yet)"});
}

TEST_CASE("diff: a new TCP target retargets the socket; a new protocol reopens it") {
  ListenerSpec tcp = spec(9000);
  tcp.protocol = pc::Listener::Protocol::kTcp;
  tcp.tcp.cluster = "outbound|9000||a.default.svc.cluster.local";
  ListenerSpec moved = tcp;
  moved.tcp.cluster = "outbound|9000||b.default.svc.cluster.local";
  auto retarget = proxy::diff_listeners({tcp}, {moved});
  CHECK(keys(retarget.retable) == std::vector<std::string>{"127.0.0.1:9000"});
  CHECK(retarget.close.empty());
  auto reopen = proxy::diff_listeners({spec(9000)}, {tcp});
  CHECK(reopen.close == std::vector<std::string>{"127.0.0.1:9000"});
  CHECK(keys(reopen.open) == std::vector<std::string>{"127.0.0.1:9000"});
  CHECK(reopen.keep.empty());
}

TEST_CASE("TcpTarget::pick follows the weights; without weights it is the one cluster") {
  proxy::TcpTarget one{"a", {}};
  CHECK(one.pick(12345) == "a");
  proxy::TcpTarget split{"a", {{"a", 80}, {"b", 20}}};
  int b = 0;
  for (uint64_t r = 0; r < 100; ++r) b += split.pick(r) == "b" ? 1 : 0;
  CHECK(b == 20);
  proxy::TcpTarget zero{"a", {{"a", 0}, {"b", 0}}};
  CHECK(zero.pick(7) == "a");
}

TEST_CASE("ListenerSet: a port that cannot bind fails alone; kept listeners keep their port") {
  auto config = std::make_shared<pc::ProxyConfig>();
  std::vector<std::unique_ptr<proxy::Worker>> owned;
  std::vector<proxy::Worker*> workers;
  for (int i = 0; i < 2; ++i) {
    owned.push_back(std::make_unique<proxy::Worker>(i, proxy::WorkerSettings{}, config));
    owned.back()->start();
    workers.push_back(owned.back().get());
  }
  TakenPort taken;
  pc::ProxyConfig first;
  first.listeners = {listener(8080), listener(taken.port)};
  {
    proxy::ListenerSet set(/*ephemeral=*/true);
    set.open_added(set.close_removed(first, workers), workers);
    auto status = set.status();
    REQUIRE(status.size() == 2);
    CHECK(status[0].bound_port != 0);  // ephemeral: port 0 for both, so both bind
    CHECK(status[1].bound_port != 0);
  }
  proxy::ListenerSet set(/*ephemeral=*/false);
  pc::ProxyConfig one;
  one.listeners = {listener(taken.port)};
  set.open_added(set.close_removed(one, workers), workers);
  auto status = set.status();
  REQUIRE(status.size() == 1);
  CHECK(status[0].bound_port == 0);
  CHECK(status[0].error.find("address already in use") != std::string::npos);

  // A change that only adds leaves the kept listener on its port.
  proxy::ListenerSet eph(true);
  pc::ProxyConfig a;
  a.listeners = {listener(8080)};
  CHECK(eph.open_added(eph.close_removed(a, workers), workers));
  uint16_t port = eph.status()[0].bound_port;
  pc::ProxyConfig b;
  b.listeners = {listener(8080), listener(9090)};
  CHECK(eph.open_added(eph.close_removed(b, workers), workers));
  auto after = eph.status();
  REQUIRE(after.size() == 2);
  CHECK(after[0].spec.port == 8080);
  CHECK(after[0].bound_port == port);
  CHECK(eph.ready_json().find("\"8080\":" + std::to_string(port)) != std::string::npos);
  CHECK_FALSE(eph.open_added(eph.close_removed(b, workers), workers));  // nothing changed
  for (auto* w : workers) w->stop();
}
