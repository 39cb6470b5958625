#include <doctest/doctest.h>

#include <map>

#include "core/policy/hash.h"
#include "core/policy/hash_key.h"

using mesh::policy::Random;
using mesh::policy::xxhash64;

TEST_CASE("xxhash64 matches the published XXH64 vectors") {
  CHECK(xxhash64("") == 0xEF46DB3751D8E999ULL);
  CHECK(xxhash64("", 1) == 0xD5AFBA1336A3BE4BULL);
  CHECK(xxhash64("a") == 0xD24EC4F1A98C6E5BULL);
  CHECK(xxhash64("abc") == 0x44BC2CF5AD770999ULL);
  CHECK(xxhash64("abc", 5381) == 0x19D1C1B5C673451FULL);
  CHECK(xxhash64("Hello, world!") == 0xF58336A78B6F9476ULL);
  CHECK(xxhash64("12345678901234567890123456789012") == 0x40FD1AA52D98274CULL);
  CHECK(xxhash64("The quick brown fox jumps over the lazy dog") == 0x0B242D361FDA71BCULL);
  CHECK(xxhash64("Nobody inspects the spammish repetition", 123) == 0xA8BA45551F24B7AEULL);
}

TEST_CASE("Random is deterministic per seed and uniform enough") {
  Random a(42), b(42), c(43);
  CHECK(a.next() == b.next());
  CHECK(a.next() != c.next());
  Random r(7);
  int buckets[4] = {0, 0, 0, 0};
  for (int i = 0; i < 40000; ++i) ++buckets[r.below(4)];
  for (int n : buckets) CHECK(n == doctest::Approx(10000).epsilon(0.03));
  int hits = 0;
  for (int i = 0; i < 100000; ++i) hits += r.chance(12.5) ? 1 : 0;
  CHECK(hits == doctest::Approx(12500).epsilon(0.04));
  CHECK_FALSE(r.chance(0));
  CHECK(r.chance(100));
}

TEST_CASE("hash key from header, source ip and query parameter") {
  mesh::model::ConsistentHashLB cfg;
  mesh::policy::HashInputs in;
  in.path = "/p?a=1&user=alice&b";
  in.source_ip = "10.0.0.7";
  cfg.key = mesh::model::ConsistentHashLB::Key::kHeader;
  CHECK_FALSE(compute_hash_key(cfg, in).hash);  // header absent: random pick
  in.header = "bob";
  CHECK(compute_hash_key(cfg, in).hash == xxhash64("bob"));
  cfg.key = mesh::model::ConsistentHashLB::Key::kSourceIp;
  CHECK(compute_hash_key(cfg, in).hash == xxhash64("10.0.0.7"));
  cfg.key = mesh::model::ConsistentHashLB::Key::kQueryParameter;
  cfg.query_parameter_name = "user";
  CHECK(compute_hash_key(cfg, in).hash == xxhash64("alice"));
  cfg.query_parameter_name = "b";
  CHECK(compute_hash_key(cfg, in).hash == xxhash64(""));
  cfg.query_parameter_name = "missing";
  CHECK_FALSE(compute_hash_key(cfg, in).hash);
  CHECK_FALSE(mesh::policy::find_query_param("/user=alice", "user"));
}

TEST_CASE("hash key from a cookie, generated with Set-Cookie when absent and ttl is set") {
  mesh::model::ConsistentHashLB cfg;
  cfg.key = mesh::model::ConsistentHashLB::Key::kCookie;
  cfg.cookie.name = "session";
  mesh::policy::HashInputs in;
  in.source_ip = "10.0.0.7";
  in.source_port = 40000;
  in.cookie_header = "a=1; session=\"xyz\"; b=2";
  CHECK(compute_hash_key(cfg, in).hash == xxhash64("xyz"));
  CHECK(compute_hash_key(cfg, in).set_cookie.empty());

  in.cookie_header = "a=1";
  CHECK_FALSE(compute_hash_key(cfg, in).hash);  // no ttl: no cookie generated

  cfg.cookie.ttl = std::chrono::seconds(30);
  cfg.cookie.path = "/shop";
  const auto generated = compute_hash_key(cfg, in);
  REQUIRE(generated.hash);
  REQUIRE(generated.set_cookie.starts_with("session=\""));
  CHECK(generated.set_cookie.ends_with("\"; Max-Age=30; Path=/shop; HttpOnly"));
  // The client sends the generated cookie back: the same hash, so the same endpoint.
  const std::string echoed = generated.set_cookie.substr(0, generated.set_cookie.find(';'));
  in.cookie_header = echoed;
  CHECK(compute_hash_key(cfg, in).hash == generated.hash);

  cfg.cookie.ttl = std::chrono::seconds(0);  // session cookie: no Max-Age
  cfg.cookie.path.clear();
  in.cookie_header = "";
  const auto session = compute_hash_key(cfg, in);
  CHECK(session.set_cookie.find("Max-Age") == std::string::npos);
  CHECK(session.set_cookie.ends_with("\"; HttpOnly"));
}

namespace {

// The shape of core/route's RequestView, as far as hash_inputs needs it.
struct FakeRequest {
  std::string_view path;
  std::map<std::string, std::string> headers;
  std::optional<std::string_view> header(std::string_view lower_name) const {
    auto it = headers.find(std::string(lower_name));
    if (it == headers.end()) return std::nullopt;
    return std::string_view(it->second);
  }
};

}  // namespace

TEST_CASE("hash_inputs reads the configured header (any case) or the cookie header from a request") {
  FakeRequest req{"/x?u=1", {{"x-user", "carol"}, {"cookie", "sid=abc"}}};
  mesh::model::ConsistentHashLB cfg;
  cfg.key = mesh::model::ConsistentHashLB::Key::kHeader;
  cfg.header_name = "X-User";
  auto in = mesh::policy::hash_inputs(cfg, req, "10.1.1.1", 5555);
  CHECK(compute_hash_key(cfg, in).hash == xxhash64("carol"));
  cfg.key = mesh::model::ConsistentHashLB::Key::kCookie;
  cfg.cookie.name = "sid";
  in = mesh::policy::hash_inputs(cfg, req, "10.1.1.1", 5555);
  CHECK(compute_hash_key(cfg, in).hash == xxhash64("abc"));
  CHECK(in.path == "/x?u=1");
  CHECK(in.source_port == 5555);
}
