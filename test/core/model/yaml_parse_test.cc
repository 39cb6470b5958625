// The fast YAML reader against yaml-cpp: wherever the fast reader accepts a
// document, its tree (kinds, text, positions) must equal yaml-cpp's; where it
// declines, yaml::parse must still give yaml-cpp's tree or error.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "core/model/yaml_parse.h"

using namespace mesh::yaml;
namespace fs = std::filesystem;

namespace {

std::string yaml_cpp_dump(std::string_view text) {
  const Document doc = from_yaml_cpp(YAML::Load(std::string(text)), 1u << 20);
  return dump_tree(doc.root());
}

// The fast reader accepts `text` and agrees with yaml-cpp.
void check_fast_matches(const std::string& text) {
  CAPTURE(text);
  Document fast;
  REQUIRE(parse_fast(text, fast));
  CHECK(dump_tree(fast.root()) == yaml_cpp_dump(text));
}

// The fast reader declines `text`; parse() gives yaml-cpp's answer.
void check_declined(const std::string& text) {
  CAPTURE(text);
  Document fast;
  CHECK_FALSE(parse_fast(text, fast));
  std::string expected, got;
  try {
    expected = yaml_cpp_dump(text);
  } catch (const YAML::Exception& e) {
    expected = "error: " + e.msg;
  }
  try {
    got = dump_tree(parse(text).root());
  } catch (const YAML::Exception& e) {
    got = "error: " + e.msg;
  }
  CHECK(got == expected);
}

}  // namespace

TEST_CASE("block maps and lists, with the positions yaml-cpp gives") {
  check_fast_matches("a: 1\nb: two words\nc:\n  d: x\n  e: y\n");
  check_fast_matches("  indented: root\n  second: 2\n");
  check_fast_matches("list:\n- a\n- b\nnext: 1\n");          // a list at its key's column
  check_fast_matches("list:\n  - a\n  -   b\n");
  check_fast_matches("- name: a\n  image: b\n- name: c\n");  // maps inside list items
  check_fast_matches("- - a\n  - b\n- - c\n");
  check_fast_matches("-   name: a\n    ports:\n    - 1\n    - 2\n");
  check_fast_matches("- a: 1\n  b:\n    c: 2\n- x\n");
  check_fast_matches("a:\n  b:\n    c:\n      d: deep\ne: top\n");
  check_fast_matches("a: x\na: y\n");  // duplicate keys are kept, the first wins on lookup
}

TEST_CASE("nulls: spelled out or left empty, positioned at the next token") {
  check_fast_matches("a:\nb: 1\n");
  check_fast_matches("a:\n  b:\nc: 1\n");
  check_fast_matches("a: 1\nb:\n");
  check_fast_matches("a: 1\nb:");
  check_fast_matches("a:   # comment\n\n  # more\nb: ~\nc: null\nd: Null\ne: NULL\n");
  check_fast_matches("-\n- a\n-\n");
  // At the end of the input: yaml-cpp's mark depends on the last line and the owner's column.
  check_fast_matches("a:\n  b:\n    c:\n      \n  ");
  check_fast_matches("a:\n  b:\n  ");
  check_fast_matches("a:\n  b:   ");
  check_fast_matches("a:\n  - b\n  -\n  ");
  check_fast_matches("a:\n  - b\n  -");
  check_fast_matches("a:\n- b\n-");
  check_fast_matches("- a:\n    b:\n   ");
  check_fast_matches("a: 1\nb:  # comment");
  check_fast_matches("- a:\n- b\n");
  check_fast_matches("~: key is null\n");
  check_fast_matches("a: 'null'\nb: \"~\"\n");
}

TEST_CASE("plain scalars keep what YAML keeps") {
  check_fast_matches("url: http://example.com:8080/a#frag\n");
  check_fast_matches("a: b:c\nd: e # comment\nf: g#h\n");
  check_fast_matches("key with spaces   : value with spaces   \n");
  check_fast_matches("a: -1\nb: -x\nc: ?y\nd: :z\ne: 1.5e3\nf: true\n");
  check_fast_matches("glob: '*.example.com'\nregex: ^/api/v[0-9]+$\n");
  check_fast_matches("a: b[c]{d}\n");  // in block context brackets are text after the start
  check_fast_matches("unicode: héllo wörld ✓\nkey✓: v\n");
  check_fast_matches("a: b, c\n");
}

TEST_CASE("quoted scalars, one line each") {
  check_fast_matches("a: \"x: y # z\"\nb: 'it''s'\n\"quoted key\": 1\n'single key': 2\n");
  check_fast_matches(R"(e: "tab\there\nnew \"q\" \\ \/ \x41 \u00e9 \U0001F600 \0 \e \a \b \f \v \r \ ")" "\n");
  check_fast_matches("a: \"\"\nb: ''\n");
  check_fast_matches("- \"a\"\n- 'b'   # comment\n");
}

TEST_CASE("flow collections on one line") {
  check_fast_matches("metadata: {name: ingress, namespace: istio-system}\n");
  check_fast_matches("hosts: [\"*/*.example.com\", 'b', c]\n");
  check_fast_matches("a: []\nb: {}\nc: [ ]\nd: { }\n");
  check_fast_matches("a: {b: [1, {c: d}], e: {f: [g, [h]]}}\n");
  check_fast_matches("- {containerPort: 8080}\n- [x, y]\n");
  check_fast_matches("a: {image: nginx:1.2, url: http://x/y}\n");
  check_fast_matches("a: [b c, d e]   # trailing comment\n");
  check_fast_matches("[a, b]\n");
  check_fast_matches("a: {\"k\": v, 'k2': \"v2\"}\n");
}

TEST_CASE("documents: an opening marker, comments, nothing at all") {
  check_fast_matches("---\na: 1\n");
  check_fast_matches("--- # first\n# comment\na: 1   \n\n# trailing\n");
  check_fast_matches("");
  check_fast_matches("# only a comment\n");
  check_fast_matches("---\n");
  check_fast_matches("~\n");
  check_fast_matches("just a scalar\n");
}

TEST_CASE("everything else is left to yaml-cpp, with the same result") {
  check_declined("a: &x 1\nb: *x\n");
  check_declined("a: !!str 1\n");
  check_declined("a: |\n  line 1\n  line 2\n");
  check_declined("a: >-\n  folded\n  text\n");
  check_declined("a: multi\n  line plain\n");
  check_declined("a: \"multi\n  line quoted\"\n");
  check_declined("a: [1,\n  2]\n");
  check_declined("{\"json\": true,\n \"b\": [1, 2]}\n");
  check_declined("a:\tb\n");
  check_declined("a: b\r\nc: d\r\n");
  check_declined("--- a: 1\n");
  check_declined("%YAML 1.2\n---\na: 1\n");
  check_declined("? complex\n: key\n");
  check_declined("a: {b: }\n");
  check_declined("a: [b, , c]\n");
  check_declined("a: [b, c,]\n");
  check_declined("a: {\"b\":1}\n");
  check_declined("\xef\xbb\xbf" "a: bom\n");
  check_declined("a: \"\\N\"\n");
  check_declined("a: \xff\xfe\n");  // not UTF-8
  // Errors: yaml-cpp's message, as before.
  check_declined("a: b: c\n");
  check_declined("a: 1\n b: 2\n");
  check_declined("a:\n  - x\n  y: 1\n");
  check_declined("- a\nb: 1\n");
  check_declined("a: [b\n");
  check_declined("a: \"unclosed\n");
  check_declined("a: 1\n- b\n");
  check_declined(std::string(200, '[') + std::string(200, ']') + "\n");
}

TEST_CASE("aliases cannot expand a document without bound") {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    const char prev = static_cast<char>(c - 1);
    bomb += fmt::format("{0}: &{0} [*{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}]\n", c, prev);
  }
  CHECK_THROWS_AS(parse(bomb), YAML::Exception);
}

TEST_CASE("every sample and fixture: the fast reader agrees with yaml-cpp or declines") {
  const char* root = std::getenv("MESH_SOURCE_ROOT");
  REQUIRE_MESSAGE(root != nullptr, "MESH_SOURCE_ROOT must point at the source tree");
  size_t documents = 0, fast = 0, sample_documents = 0, sample_fast = 0;
  for (const char* dir : {"samples", "test/fixtures"}) {
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(root) / dir)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() || (ext != ".yaml" && ext != ".yml" && ext != ".json")) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      const std::string all = text.str();
      if (all.find('\0') != std::string::npos) continue;  // the loader refuses binary input first
      for (const DocumentText& d : split_documents(all)) {
        CAPTURE(entry.path().string());
        CAPTURE(d.first_line);
        ++documents;
        const bool sample = std::string_view(dir) == "samples";
        sample_documents += sample ? 1 : 0;
        Document doc;
        if (!parse_fast(d.text, doc)) continue;
        ++fast;
        sample_fast += sample ? 1 : 0;
        std::string expected;
        try {
          expected = yaml_cpp_dump(d.text);
        } catch (const YAML::Exception& e) {
          expected = "yaml-cpp error: " + e.msg;
        }
        CHECK(dump_tree(doc.root()) == expected);
      }
    }
  }
  MESSAGE(fmt::format("fast reader took {} of {} documents ({} of {} in samples/)", fast, documents,
                      sample_fast, sample_documents));
  CHECK(documents > 100);
  // The samples are written the way users write manifests: the fast path must carry them.
  CHECK(sample_fast * 10 >= sample_documents * 9);
}
