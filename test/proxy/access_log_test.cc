// The access log: Envoy's default text format and response flags, written by
// the workers' loops to a file.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "proxy/access_log.h"
#include "test/proxy/cluster_fixture.h"

using namespace mesh;
using namespace mesh::test;

TEST_CASE("format: Envoy's default line, '-' for empty values") {
  proxy::RequestLog log;
  log.start_unix_ms = 1767323045678;  // 2026-01-02T03:04:05.678Z
  log.method = "GET";
  log.path = "/p?q=1";
  log.status = 503;
  log.flags = proxy::kFlagUF;
  log.bytes_received = 0;
  log.bytes_sent = 91;
  log.duration_ms = 2;
  log.user_agent = "curl/8";
  log.request_id = "id-1";
  log.authority = "known.example";
  log.upstream_host = "127.0.0.1:80";
  std::string out;
  proxy::format_access_log(log, out);
  CHECK(out ==
        "[2026-01-02T03:04:05.678Z] \"GET /p?q=1 HTTP/1.1\" 503 UF 0 91 2 - \"-\" \"curl/8\" \"id-1\" "
        "\"known.example\" \"127.0.0.1:80\"\n");
  log.flags = 0;
  log.upstream_service_ms = 7;
  log.http10 = true;
  log.forwarded_for = "10.0.0.1";
  out.clear();
  proxy::format_access_log(log, out);
  CHECK(out.find("\"GET /p?q=1 HTTP/1.0\" 503 - 0 91 2 7 \"10.0.0.1\"") != std::string::npos);
}

TEST_CASE("flags print in Envoy's order, comma separated") {
  std::string out;
  proxy::append_flags(out, proxy::kFlagFI | proxy::kFlagDI);
  CHECK(out == "DI,FI");
  out.clear();
  proxy::append_flags(out, proxy::kFlagURX | proxy::kFlagUF | proxy::kFlagUH);
  CHECK(out == "UH,UF,URX");
  out.clear();
  proxy::append_flags(out, 0);
  CHECK(out == "-");
}

namespace {

struct TempFile {
  std::string path;
  TempFile() {
    char tmpl[] = "/tmp/mesh-access-log-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd >= 0) ::close(fd);
    path = tmpl;
  }
  ~TempFile() { ::unlink(path.c_str()); }
  std::string read() const {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  // Polls until the file has `lines` lines (the loop writes them asynchronously).
  std::string wait_lines(size_t lines) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::string text;
    while (std::chrono::steady_clock::now() < deadline) {
      text = read();
      if (static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) >= lines) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return text;
  }
};

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("--access-log writes a line per request with flags, bytes and upstream host") {
  TempFile file;
  proxy::ProxyOptions opts;
  opts.access_log = file.path;
  opts.concurrency = 1;
  ProxyFixture f(opts);
  REQUIRE(f.started());
  Response ok = request(f.port(),
                        "POST /echo HTTP/1.1\r\nHost: known.example\r\nUser-Agent: t/1\r\n"
                        "X-Request-Id: rid-1\r\nContent-Length: 3\r\n\r\nabc");
  CHECK(ok.body == "abc");
  CHECK(request(f.port(), "GET /x HTTP/1.1\r\nHost: unknown.example\r\n\r\n").status == 404);
  CHECK(request(f.port(), get("/dead")).status == 503);
  CHECK(request(f.port(), get("/empty")).status == 503);
  CHECK(request(f.port(), get("/slow/hang")).status == 504);
  std::vector<std::string> lines = split_lines(file.wait_lines(5));
  REQUIRE(lines.size() == 5);
  std::string up = "\"127.0.0.1:" + std::to_string(f.upstream.port()) + "\"";
  CHECK(lines[0].find("] \"POST /echo HTTP/1.1\" 200 - 3 3 ") != std::string::npos);
  CHECK(lines[0].find("\"-\" \"t/1\" \"rid-1\" \"known.example\" " + up) != std::string::npos);
  CHECK(lines[1].find("\"GET /x HTTP/1.1\" 404 NR 0 0 ") != std::string::npos);
  CHECK(lines[2].find("\"GET /dead HTTP/1.1\" 503 UF ") != std::string::npos);
  CHECK(lines[3].find("\"GET /empty HTTP/1.1\" 503 UH ") != std::string::npos);
  CHECK(lines[4].find("\"GET /slow/hang HTTP/1.1\" 504 UT ") != std::string::npos);
  CHECK(lines[4].find(up) != std::string::npos);
  // A generated request id is logged as the upstream saw it.
  CHECK(lines[2].find("\"-\" \"-\" \"-\"") == std::string::npos);
}

TEST_CASE("a client that goes away mid-request is logged with DC and status 0") {
  TempFile file;
  proxy::ProxyOptions opts;
  opts.access_log = file.path;
  ProxyFixture f(opts);
  {
    Client c(f.port());
    c.send(get("/gone/hang"));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (f.upstream.seen().empty() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::vector<std::string> lines = split_lines(file.wait_lines(1));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("\"GET /gone/hang HTTP/1.1\" 0 DC ") != std::string::npos);
}

TEST_CASE("the forward path's flags are logged: URX when retries run out, UO when the queue is full") {
  TempFile file;
  ClusterSetup setup;
  setup.upstreams = 1;
  setup.access_log = file.path;
  setup.route = [](pc::ForwardAction& f) {
    f.retry.attempts = 1;
    f.retry.retry_on = {"5xx"};
  };
  setup.cluster = [](pc::Cluster& c) {
    c.connection_pool.emplace();
    c.connection_pool->tcp.max_connections = 1;
    c.connection_pool->http.http1_max_pending_requests = 1;
  };
  ClusterFixture f(setup);
  f.ups[0]->status = 503;
  CHECK(request(f.port(), get("/retried")).status == 503);
  f.ups[0]->status = 200;
  Client a(f.port()), b(f.port()), c(f.port());
  a.send(get("/delay/1500"));
  REQUIRE(eventually([&] { return f.ups[0]->seen().size() == 3; }));
  b.send(get("/queued"));
  REQUIRE(eventually([&] { return f.counter("upstream_rq_pending_total") == 1; }));
  c.send(get("/overflow"));
  CHECK(c.read().status == 503);
  CHECK(a.read().status == 200);
  CHECK(b.read().status == 200);
  std::vector<std::string> lines = split_lines(file.wait_lines(4));
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].find("\"GET /retried HTTP/1.1\" 503 URX ") != std::string::npos);
  CHECK(lines[1].find("\"GET /overflow HTTP/1.1\" 503 UO ") != std::string::npos);
  CHECK(lines[2].find("\"GET /delay/1500 HTTP/1.1\" 200 - ") != std::string::npos);
  CHECK(lines[3].find("\"GET /queued HTTP/1.1\" 200 - ") != std::string::npos);
}

TEST_CASE("a request still in flight when the drain period ends is logged with LR") {
  TempFile file;
  proxy::ProxyOptions opts;
  opts.access_log = file.path;
  opts.drain_seconds = 0.2;
  ProxyFixture f(opts);
  Client c(f.port());
  c.send(get("/stuck/hang"));
  REQUIRE(eventually([&] { return !f.upstream.seen().empty(); }));
  f.proxy().shutdown();
  std::vector<std::string> lines = split_lines(file.wait_lines(1));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("\"GET /stuck/hang HTTP/1.1\" 0 LR ") != std::string::npos);
  CHECK(f.proxy().counter("flag_LR") == 1);
}
