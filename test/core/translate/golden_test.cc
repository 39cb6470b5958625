// Golden tests: every Bookinfo sample step translated for the productpage and
// reviews sidecars and the ingress gateway, compared as JSON with the files in
// test/golden/translate/. A golden file no case produces fails as stale.
//
// To accept a deliberate change, regenerate and review the diff:
//   MESH_REGENERATE_GOLDEN=1 meson test -C BUILDDIR golden_test
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <doctest/doctest.h>

#include "core/model/load.h"
#include "core/translate/translate.h"

using namespace mesh;
namespace fs = std::filesystem;

namespace {

fs::path source_root() {
  const char* root = std::getenv("MESH_SOURCE_ROOT");
  return root ? fs::path(root) : fs::current_path();
}

bool regenerate() {
  const char* v = std::getenv("MESH_REGENERATE_GOLDEN");
  return v && std::string(v) == "1";
}

struct Case {
  std::string name;
  std::vector<std::string> files;  // under samples/bookinfo
  std::string proxy;               // "productpage", "reviews" or "gateway"
};

pc::ProxyIdentity identity(const registry::Registry& reg, const std::string& proxy) {
  pc::ProxyIdentity p;
  if (proxy == "gateway") {
    p.type = pc::ProxyIdentity::Type::kGateway;
    p.name = "istio-ingressgateway";
    p.ns = "istio-system";
    p.labels = {{"app", "istio-ingressgateway"}, {"istio", "ingressgateway"}};
    p.service_account = "istio-ingressgateway-service-account";
    return p;
  }
  p.name = proxy + "-v1";
  p.labels = {{"app", proxy}, {"version", "v1"}};
  p.service_account = "bookinfo-" + proxy;
  if (const registry::Workload* w = reg.find_workload("default", p.name + "-0")) p.ip = w->ip;
  return p;
}

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const char* proxy : {"productpage", "reviews"})
    out.push_back({std::string("bookinfo.") + proxy, {}, proxy});
  const char* steps[] = {"destination-rule-all",
                         "destination-rule-all-mtls",
                         "virtual-service-all-v1",
                         "virtual-service-reviews-test-v2",
                         "virtual-service-reviews-50-v3",
                         "virtual-service-reviews-90-10",
                         "virtual-service-ratings-test-delay",
                         "virtual-service-ratings-test-abort"};
  for (std::string step : steps) {
    // As in Istio's tutorial, VirtualService steps come after the subsets exist.
    std::vector<std::string> files = {"bookinfo-gateway.yaml"};
    if (step.starts_with("virtual-service")) files.push_back("destination-rule-all.yaml");
    files.push_back(step + ".yaml");
    for (const char* proxy : {"productpage", "reviews"}) out.push_back({step + "." + proxy, files, proxy});
  }
  out.push_back({"bookinfo-gateway.gateway", {"bookinfo-gateway.yaml"}, "gateway"});
  out.push_back({"virtual-service-all-v1.gateway",
                 {"bookinfo-gateway.yaml", "destination-rule-all.yaml", "virtual-service-all-v1.yaml"},
                 "gateway"});
  return out;
}

std::string translate_case(const Case& c) {
  const fs::path dir = source_root() / "samples" / "bookinfo";
  std::vector<std::string> paths = {(dir / "bookinfo.yaml").string()};
  for (const std::string& f : c.files) paths.push_back((dir / f).string());
  model::ConfigSet config;
  model::Diagnostics diags;
  model::load_paths(paths, {}, config, diags);
  for (const auto& d : diags.items()) INFO(d.format());
  REQUIRE_FALSE(diags.has_errors());
  const auto reg = registry::Registry::build(config);
  return translate::to_json(*translate::translate(config, reg, identity(reg, c.proxy)));
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("translation of the Bookinfo samples matches the golden files") {
  const fs::path golden = source_root() / "test" / "golden" / "translate";
  std::set<std::string> produced;
  for (const Case& c : cases()) {
    CAPTURE(c.name);
    const fs::path file = golden / (c.name + ".json");
    produced.insert(file.filename().string());
    const std::string json = translate_case(c);
    if (regenerate()) {
      fs::create_directories(golden);
      std::ofstream(file) << json;
      continue;
    }
    REQUIRE_MESSAGE(fs::exists(file), "missing golden file; run with MESH_REGENERATE_GOLDEN=1");
    CHECK_MESSAGE(json == read_file(file),
                  "output differs from " << file.string() << "; regenerate with MESH_REGENERATE_GOLDEN=1");
  }
  for (const auto& entry : fs::directory_iterator(golden)) {
    const std::string name = entry.path().filename().string();
    if (regenerate() && !produced.count(name))
      fs::remove(entry.path());
    else
      CHECK_MESSAGE(produced.count(name), "stale golden file " << name);
  }
}

TEST_CASE("the productpage sidecar sees Bookinfo's reviews routes") {
  const std::string json = translate_case(
      {"x", {"destination-rule-all.yaml", "virtual-service-reviews-test-v2.yaml"}, "productpage"});
  CHECK(json.find("\"outbound|9080|v2|reviews.default.svc.cluster.local\"") != std::string::npos);
  CHECK(json.find("\"jason\"") != std::string::npos);
  CHECK(json.find("\"reviews.default\"") != std::string::npos);
}
