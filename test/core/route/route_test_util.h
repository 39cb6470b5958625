// Small builders for hand-made route tables in the route tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/proxyconfig/proxy_config.h"
#include "core/route/matcher.h"

namespace mesh::route::testing {

inline pc::StringMatcher exact(std::string v, bool ignore_case = false) {
  return {pc::StringMatcher::Kind::kExact, std::move(v), nullptr, ignore_case};
}
inline pc::StringMatcher prefix(std::string v, bool ignore_case = false) {
  return {pc::StringMatcher::Kind::kPrefix, std::move(v), nullptr, ignore_case};
}
inline pc::StringMatcher regex(std::string v) {
  auto re = std::make_shared<const RE2>(v);
  return {pc::StringMatcher::Kind::kRegex, std::move(v), re, false};
}
inline pc::StringMatcher present() {
  return {};
}

inline pc::Route forward_route(std::string name, std::vector<pc::RouteMatch> matches, std::string cluster) {
  pc::Route r;
  r.name = std::move(name);
  r.matches = std::move(matches);
  pc::ForwardAction f;
  f.clusters.push_back({cluster, "", 0, "", 100, {}, {}});
  f.total_weight = 100;
  r.action = f;
  return r;
}

// A request whose header storage lives as long as the object.
struct Req {
  std::vector<HeaderField> fields;
  RequestView view;
  explicit Req(std::string_view path, std::vector<HeaderField> headers = {},
               std::string_view authority = "reviews:9080")
      : fields(std::move(headers)) {
    view.method = "GET";
    view.scheme = "http";
    view.authority = authority;
    view.path = path;
    view.port = 9080;
    view.headers = fields;
  }
  Req(const Req&) = delete;  // view points into fields
  Req& operator=(const Req&) = delete;
};

}  // namespace mesh::route::testing
