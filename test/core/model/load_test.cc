#include "core/model/load.h"

#include <doctest/doctest.h>

using namespace mesh::model;

namespace {
bool mentions(const Diagnostics& d, std::string_view text) {
  for (const auto& item : d.items()) {
    if (item.format().find(text) != std::string::npos) return true;
  }
  return false;
}
}  // namespace

TEST_CASE("unknown kinds are skipped with a warning") {
  ConfigSet out;
  Diagnostics diags;
  load_text("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n", "w.yaml", {}, out, diags);
  CHECK_FALSE(diags.has_errors());
  CHECK(diags.warning_count() == 1);
  CHECK(mentions(diags, "unknown kind Widget"));
}

TEST_CASE("a broken document does not hide the documents around it") {
  ConfigSet out;
  Diagnostics diags;
  const char* text =
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"
      "---\n"
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: [unclosed\n"
      "---\n"
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: c}\n";
  load_text(text, "ns.yaml", {}, out, diags);
  CHECK(out.namespaces.size() == 2);
  REQUIRE(diags.error_count() == 1);
  CHECK(diags.items()[0].file == "ns.yaml");
  CHECK(diags.items()[0].pos.line >= 7);
  CHECK(diags.items()[0].message.find("invalid YAML") != std::string::npos);
}

TEST_CASE("List documents are unpacked and versions are checked") {
  ConfigSet out;
  Diagnostics diags;
  const char* text =
      "apiVersion: v1\nkind: List\nitems:\n"
      "- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n"
      "- apiVersion: networking.istio.io/v2\n  kind: Gateway\n  metadata: {name: g}\n  spec: {}\n";
  load_text(text, "list.yaml", {}, out, diags);
  CHECK(out.namespaces.size() == 1);
  CHECK(out.gateways.empty());
  CHECK(mentions(diags, "list.yaml:7:15: Gateway/default/g: apiVersion networking.istio.io/v2 is not served"));
}

TEST_CASE("JSON input, missing names, binary data and scalars are reported") {
  ConfigSet out;
  Diagnostics diags;
  load_text("{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"j\"}}", "j.json", {},
            out, diags);
  CHECK(out.namespaces.size() == 1);
  load_text("apiVersion: v1\nkind: Namespace\nmetadata: {}\n", "n.yaml", {}, out, diags);
  CHECK(mentions(diags, "n.yaml:1:1: Namespace/default/: metadata.name: required field is missing"));
  load_text(std::string("abc\0def", 7), "bin", {}, out, diags);
  CHECK(mentions(diags, "bin:1:1: input contains binary data"));
  load_text("just a string\n", "s.yaml", {}, out, diags);
  CHECK(mentions(diags, "s.yaml:1:1: a document must be a map"));
}

TEST_CASE("deeply nested documents are an error, not a crash") {
  ConfigSet out;
  Diagnostics diags;
  std::string text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: d}\nspec: ";
  text += std::string(100000, '[') + std::string(100000, ']') + "\n";
  load_text(text, "deep.yaml", {}, out, diags);
  CHECK(diags.has_errors());
}

TEST_CASE("keep_raw: only on request do pods and workloads keep their YAML tree") {
  const char* text =
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {app: a}}\nspec: {containers: [{name: c}]}\n"
      "---\n"
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
      "spec: {selector: {matchLabels: {app: a}}, template: {metadata: {labels: {app: a}}, spec: {}}}\n";
  ConfigSet kept, dropped;
  Diagnostics diags;
  LoadOptions keep;
  keep.keep_raw = true;
  load_text(text, "k.yaml", keep, kept, diags);
  load_text(text, "k.yaml", {}, dropped, diags);
  CHECK_FALSE(diags.has_errors());
  REQUIRE(kept.pods.size() == 1);
  REQUIRE(dropped.pods.size() == 1);
  REQUIRE(kept.workloads.size() == 1);
  REQUIRE(dropped.workloads.size() == 1);
  CHECK(kept.pods[0].raw["metadata"]["name"].as<std::string>() == "p");
  CHECK(kept.workloads[0].raw["kind"].as<std::string>() == "Deployment");
  CHECK(dropped.pods[0].raw.IsNull());
  CHECK(dropped.workloads[0].raw.IsNull());
  CHECK(dropped.pods[0].meta.labels.at("app") == "a");  // the decoded object is whole
  CHECK(dropped.workloads[0].template_.labels.at("app") == "a");
}

TEST_CASE("a file of many documents loads in order, a broken one reported at its line") {
  std::string text;
  const int documents = 300;
  for (int i = 0; i < documents; ++i) {
    if (i) text += "---\n";
    if (i == 150) {
      text += "apiVersion: v1\nkind: Namespace\nmetadata: {name: [unclosed\n";
      continue;
    }
    text += "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-" + std::to_string(i) + "\n";
  }
  ConfigSet out;
  Diagnostics diags;
  load_text(text, "many.yaml", {}, out, diags);
  REQUIRE(out.namespaces.size() == documents - 1);
  for (int i = 0, n = 0; i < documents; ++i) {
    if (i == 150) continue;
    CHECK(out.namespaces[n++].meta.name == "ns-" + std::to_string(i));
  }
  REQUIRE(diags.error_count() == 1);
  // Document 150 starts after 150 documents of 5 lines (4 + the separator).
  CHECK(diags.items()[0].pos.line >= 150 * 5 + 1);
  CHECK(diags.items()[0].pos.line <= 150 * 5 + 4);
  CHECK(diags.items()[0].message.find("invalid YAML") != std::string::npos);
}
