// `mesh routes --explain`: parse the request text, explain it against the
// proxy's config (core/route/explain.h) and print text or JSON.
#include "cmd/routes_explain.h"

#include <cstdio>

#include "core/route/explain.h"

namespace mesh::cmd {

int run_explain(const pc::ProxyConfig& config, const ExplainOptions& opts) {
  if (!opts.output.empty() && opts.output != "json" && opts.output != "text") {
    std::fprintf(stderr, "error: --explain output must be text or json, not \"%s\"\n", opts.output.c_str());
    return 1;
  }
  std::string error;
  std::optional<route::RequestText> request = route::parse_request(opts.request, opts.headers, error);
  if (!request) {
    std::fprintf(stderr, "error: --explain: %s\n", error.c_str());
    return 1;
  }
  route::Explanation explanation = route::explain(config, *request);
  std::string out =
      opts.output == "json" ? route::to_json(explanation).dump(2) + "\n" : route::to_text(explanation);
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (!explanation.route) {
    std::fprintf(stderr, "no route for %s\n", explanation.request.c_str());
    return 1;
  }
  return 0;
}

}  // namespace mesh::cmd
