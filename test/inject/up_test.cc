// mesh up's pure parts: which pods a config asks for (plan) and how objects
// are staged into the mesh's config directory (kubectl apply semantics).
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/model/load.h"
#include "inject/up/plan.h"
#include "inject/up/stage.h"

using namespace mesh;
namespace fs = std::filesystem;

namespace {

const char* kApp = R"(apiVersion: v1
kind: Service
metadata: {name: reviews}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v2, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: reviews, version: v2}}
  template:
    metadata:
      labels: {app: reviews, version: v2}
      annotations: {mesh.local/run: "exec python3 src/reviews.py", mesh.local/workdir: /srv/bookinfo}
    spec:
      serviceAccountName: bookinfo-reviews
      containers:
      - name: reviews
        env: [{name: REVIEWS_VERSION, value: v2}]
        ports: [{name: http, containerPort: 9080}]
        readinessProbe: {httpGet: {path: /health, port: http}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: not-local}
spec:
  template:
    metadata: {labels: {app: x}}
    spec: {containers: [{name: x, image: x}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: bare}
spec:
  selector: {matchLabels: {app: bare}}
  template:
    metadata: {labels: {app: bare}, annotations: {mesh.local/run: ./bare}}
    spec: {containers: [{name: bare, image: bare}]}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 8080, name: http, protocol: HTTP}, hosts: ["*"]}]
)";

model::ConfigSet load(const std::string& text) {
  model::ConfigSet config;
  model::Diagnostics diags;
  model::LoadOptions options;
  options.keep_raw = true;  // as the supervisor loads it
  model::load_text(text, "test.yaml", options, config, diags);
  REQUIRE_FALSE(diags.has_errors());
  return config;
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("mesh-up-test-" + std::to_string(getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

std::vector<up::StagedObject> objects(const std::string& text, const std::string& dir = "/work/dir") {
  return up::objects_of({up::InputFile{"in.yaml", text, dir}});
}

}  // namespace

TEST_CASE("plan: pods only for Deployments with mesh.local/run, with their spec") {
  up::Plan plan = up::plan_of(load(kApp));
  REQUIRE(plan.deployments.size() == 2);
  const up::PodTemplatePlan& bare = plan.deployments[1];  // no env, ports or probe: runs as it is
  CHECK(bare.deployment == "default/bare");
  CHECK(bare.replicas == 1);
  CHECK(bare.ports.empty());
  CHECK(bare.readiness.kind == up::Readiness::Kind::kRunning);
  CHECK(bare.workdir == "/");
  const up::PodTemplatePlan& t = plan.deployments[0];
  CHECK(t.deployment == "shop/reviews-v2");
  CHECK(t.replicas == 2);
  CHECK(t.command == "exec python3 src/reviews.py");
  CHECK(t.workdir == "/srv/bookinfo");
  CHECK(t.service_account == "bookinfo-reviews");
  CHECK(t.labels.at("version") == "v2");
  REQUIRE(t.ports.size() == 1);
  CHECK(t.ports[0].second == 9080);
  CHECK(t.readiness.kind == up::Readiness::Kind::kHttp);
  CHECK(t.readiness.port == 9080);  // the named port resolved
  CHECK(t.readiness.path == "/health");
  CHECK(t.name_prefix == "reviews-v2-" + t.hash + "-");
  auto env = up::app_env(t, "reviews-v2-abc", "10.244.0.10");
  CHECK(env.front() == std::make_pair(std::string("REVIEWS_VERSION"), std::string("v2")));
  CHECK(std::count(env.begin(), env.end(), std::make_pair(std::string("PORT"), std::string("9080"))) == 1);
  CHECK(std::count(env.begin(), env.end(), std::make_pair(std::string("POD_NAMESPACE"), std::string("shop"))) == 1);
}

TEST_CASE("plan: the gateway's ports and the names pods resolve") {
  up::Plan plan = up::plan_of(load(kApp));
  CHECK(plan.gateway_ports == std::vector<uint32_t>{8080});
  REQUIRE(plan.services.size() == 1);
  auto in_default = up::hosts_for(plan, "default");
  auto in_shop = up::hosts_for(plan, "shop");
  CHECK(in_default.at("reviews") == plan.services[0].vip);
  CHECK(in_default.at("reviews.default.svc.cluster.local") == plan.services[0].vip);
  CHECK(in_shop.count("reviews") == 0);  // a short name resolves only in its own namespace
  CHECK(in_shop.at("reviews.default") == plan.services[0].vip);
}

TEST_CASE("plan: a changed template changes the hash; replicas alone do not") {
  std::string changed = kApp, scaled = kApp;
  changed.replace(changed.find("value: v2"), 9, "value: v9");
  scaled.replace(scaled.find("replicas: 2"), 11, "replicas: 3");
  const std::string hash = up::plan_of(load(kApp)).deployments[0].hash;
  CHECK(up::plan_of(load(changed)).deployments[0].hash != hash);
  CHECK(up::plan_of(load(scaled)).deployments[0].hash == hash);
}

TEST_CASE("stage: one file per object; same kind+namespace+name replaces, like kubectl apply") {
  TempDir dir;
  std::vector<std::string> lines;
  std::string error;
  REQUIRE(up::stage(objects(kApp), dir.path.string(), lines, error));
  CHECK(lines == std::vector<std::string>{"service/reviews created", "deployment.apps/reviews-v2 created",
                                          "deployment.apps/not-local created", "deployment.apps/bare created",
                                          "gateway.networking.istio.io/gw created"});
  CHECK(fs::exists(dir.path / "shop" / "deployment-reviews-v2.yaml"));
  CHECK(fs::exists(dir.path / "default" / "service-reviews.yaml"));
  lines.clear();
  REQUIRE(up::stage(objects(kApp), dir.path.string(), lines, error));
  CHECK(lines[0] == "service/reviews unchanged");
  std::string changed = kApp;
  changed.replace(changed.find("port: 9080"), 10, "port: 9090");
  lines.clear();
  REQUIRE(up::stage(objects(changed), dir.path.string(), lines, error));
  CHECK(lines[0] == "service/reviews configured");
  lines.clear();
  up::unstage(objects(kApp), dir.path.string(), lines);
  CHECK(lines[0] == "service \"reviews\" deleted");
  CHECK_FALSE(fs::exists(dir.path / "default" / "service-reviews.yaml"));
  lines.clear();
  up::unstage(objects(kApp), dir.path.string(), lines);
  CHECK(lines[0] == "Error: service \"reviews\" not found");
}

TEST_CASE("stage: kind List is expanded, namespaces defaulted, the workdir recorded") {
  const char* list = R"({"apiVersion": "v1", "kind": "List", "items": [
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
     "spec": {"template": {"metadata": {"annotations": {"mesh.local/run": "./run"}}}}}]})";
  auto objs = objects(list, "/srv/app");
  REQUIRE(objs.size() == 1);
  CHECK(objs[0].ns == "default");
  CHECK(objs[0].node["metadata"]["namespace"].as<std::string>() == "default");
  CHECK(objs[0].node["spec"]["template"]["metadata"]["annotations"]["mesh.local/workdir"].as<std::string>() ==
        "/srv/app");
  // An explicit workdir in the input wins over the file's directory.
  auto again = objects(kApp, "/elsewhere");
  CHECK(again[1].node["spec"]["template"]["metadata"]["annotations"]["mesh.local/workdir"].as<std::string>() ==
        "/srv/bookinfo");
}
