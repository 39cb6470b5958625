// JsonWriter writes what nlohmann::json's dump() writes, indented and compact:
// the ProxyConfig dump and the golden files depend on that.
#include "core/translate/json_writer.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

using mesh::translate::detail::JsonWriter;
using J = nlohmann::ordered_json;

namespace {

// The same document through JsonWriter and through an nlohmann tree.
void write_sample(JsonWriter& w) {
  w.begin_object();
  w.field("text", std::string("quote \" backslash \\ tab \t nl \n cr \r bell \x07 del \x7f caf\xc3\xa9"));
  w.field("unsigned", uint64_t{18446744073709551615ull});
  w.field("negative", -1);
  w.field("yes", true);
  w.key("none");
  w.value(nullptr);
  w.field("ratio", 12.5);
  w.field("whole", 100.0);
  w.field("empty_list", std::vector<std::string>{});
  w.field("list", std::vector<std::string>{"a", "b"});
  w.field("codes", std::vector<uint32_t>{502, 503});
  w.field("labels", std::map<std::string, std::string>{{"app", "x"}, {"version", "v1"}});
  w.field("empty_map", std::map<std::string, std::string>{});
  w.key("nested");
  w.begin_array();
  w.begin_object();
  w.key("inner");
  w.begin_array();
  w.end_array();
  w.end_object();
  w.value("last");
  w.end_array();
  w.end_object();
}

J sample_tree() {
  J j;
  j["text"] = "quote \" backslash \\ tab \t nl \n cr \r bell \x07 del \x7f caf\xc3\xa9";
  j["unsigned"] = uint64_t{18446744073709551615ull};
  j["negative"] = -1;
  j["yes"] = true;
  j["none"] = nullptr;
  j["ratio"] = 12.5;
  j["whole"] = 100.0;
  j["empty_list"] = std::vector<std::string>{};
  j["list"] = std::vector<std::string>{"a", "b"};
  j["codes"] = std::vector<uint32_t>{502, 503};
  j["labels"] = std::map<std::string, std::string>{{"app", "x"}, {"version", "v1"}};
  j["empty_map"] = J::object();
  j["nested"] = J::array({J{{"inner", J::array()}}, "last"});
  return j;
}

}  // namespace

TEST_CASE("JsonWriter matches nlohmann's dump, indented and compact") {
  for (int indent : {-1, 0, 2, 4}) {
    CAPTURE(indent);
    std::string out;
    JsonWriter w(out, indent);
    write_sample(w);
    CHECK(out == sample_tree().dump(indent));
  }
}

TEST_CASE("JsonWriter: empty top-level containers and scalars") {
  std::string out;
  JsonWriter w(out, 2);
  w.begin_object();
  w.end_object();
  CHECK(out == "{}");
  out.clear();
  JsonWriter s(out, 2);
  s.value("\x01");
  CHECK(out == "\"\\u0001\"");
}
