#include "core/model/decode.h"
#include "core/model/yaml_parse.h"

#include <doctest/doctest.h>

using namespace mesh::model;
using namespace std::chrono_literals;

TEST_CASE("durations follow Go syntax") {
  Duration d{};
  CHECK(parse_duration("1s", d));
  CHECK(d == 1s);
  CHECK(parse_duration("1.5s", d));
  CHECK(d == 1500ms);
  CHECK(parse_duration("100ms", d));
  CHECK(d == 100ms);
  CHECK(parse_duration("1h2m3s", d));
  CHECK(d == 1h + 2min + 3s);
  CHECK(parse_duration("0", d));
  CHECK(d == 0s);
  CHECK_FALSE(parse_duration("", d));
  CHECK_FALSE(parse_duration("10", d));
  CHECK_FALSE(parse_duration("-1s", d));
  CHECK_FALSE(parse_duration("1x", d));
  CHECK_FALSE(parse_duration("s", d));
  CHECK_FALSE(parse_duration("1..2s", d));
  CHECK(format_duration(1500ms) == "1500ms");
  CHECK(format_duration(3s) == "3s");
}

namespace {
struct Sample {
  std::string name;
  uint32_t port = 0;
  std::optional<Duration> timeout;
};
}  // namespace

TEST_CASE("read_fields reports unknown fields and wrong types with positions") {
  Diagnostics diags;
  DecodeContext c(std::make_shared<const std::string>("f.yaml"), diags);
  const mesh::yaml::Document doc = mesh::yaml::parse("name: x\nport: 70000\ntimeout: 5q\nextra: 1\n");
  const mesh::yaml::Node n = doc.root();
  Sample s;
  read_fields(c, n, {
      {"name", [&](const mesh::yaml::Node& v) { read(c, v, s.name); }},
      {"port", [&](const mesh::yaml::Node& v) { read_port(c, v, s.port); }},
      {"timeout", [&](const mesh::yaml::Node& v) { read_duration(c, v, s.timeout); }},
  });
  REQUIRE(diags.items().size() == 3);
  CHECK(diags.items()[0].format() == "f.yaml:2:7: port: port number 70000 must be between 1 and 65535");
  CHECK(diags.items()[1].format().starts_with("f.yaml:3:10: timeout: invalid duration \"5q\""));
  CHECK(diags.items()[2].format() == "f.yaml:4:1: extra: unknown field \"extra\"");
  CHECK(s.name == "x");
}

TEST_CASE("string matches take exactly one kind and regexes must compile") {
  Diagnostics diags;
  DecodeContext c(nullptr, diags);
  StringMatch m;
  CHECK(read(c, mesh::yaml::parse("{prefix: /api}").root(), m));
  CHECK(m.kind == StringMatch::Kind::kPrefix);
  CHECK(m.value == "/api");
  CHECK_FALSE(read(c, mesh::yaml::parse("{exact: a, prefix: b}").root(), m));
  read(c, mesh::yaml::parse("{regex: '(unclosed'}").root(), m);
  REQUIRE(diags.items().size() == 2);
  CHECK(diags.items()[1].message.find("invalid regex") != std::string::npos);
}
