#include "core/translate/translate.h"

#include <mutex>
#include <unordered_map>

#include "core/translate/context.h"

namespace mesh::translate {
namespace {

// What proxies of one scope share: the indexes and the route tables.
struct ScopeOutput {
  std::shared_ptr<const detail::Scope> scope;
  pc::SharedList<pc::RouteTable> route_tables;
};

ScopeOutput build_scope(const model::ConfigSet& config, const registry::Registry& registry,
                        const pc::ProxyIdentity& proxy, detail::RegexCache& regexes) {
  ScopeOutput out{detail::Scope::build(config, registry, proxy), {}};
  detail::Context ctx(config, registry, proxy, out.scope, regexes);
  std::vector<pc::RouteTable> tables =
      ctx.gateway ? detail::build_gateway_route_tables(ctx) : detail::build_sidecar_route_tables(ctx);
  out.route_tables =
      pc::SharedList<pc::RouteTable>(std::make_shared<std::vector<pc::RouteTable>>(std::move(tables)));
  return out;
}

// The rest of a proxy's config, around its scope's shared pieces.
std::shared_ptr<const pc::ProxyConfig> assemble(const model::ConfigSet& config,
                                                const registry::Registry& registry,
                                                const pc::ProxyIdentity& proxy, const ScopeOutput& shared,
                                                detail::RegexCache& regexes) {
  auto out = std::make_shared<pc::ProxyConfig>();
  out->version = 1;
  out->proxy = proxy;
  detail::Context ctx(config, registry, out->proxy, shared.scope, regexes);
  out->outbound_policy = ctx.outbound_mode();
  out->route_tables = shared.route_tables;  // listeners refer to them by name
  detail::build_listeners(ctx, *out);
  detail::build_clusters(ctx, *out);
  return out;
}

}  // namespace

std::shared_ptr<const pc::ProxyConfig> translate(const model::ConfigSet& config,
                                                 const registry::Registry& registry,
                                                 const pc::ProxyIdentity& proxy) {
  detail::RegexCache regexes;
  return assemble(config, registry, proxy, build_scope(config, registry, proxy, regexes), regexes);
}

struct SharedTranslation::State {
  const model::ConfigSet& config;
  const registry::Registry& registry;
  const bool labels_matter;
  detail::RegexCache regexes;
  std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<const ScopeOutput>> scopes;
};

SharedTranslation::SharedTranslation(const model::ConfigSet& config, const registry::Registry& registry)
    : state_(std::make_unique<State>(config, registry, detail::labels_matter(config))) {}

SharedTranslation::~SharedTranslation() = default;

std::shared_ptr<const pc::ProxyConfig> SharedTranslation::translate(const pc::ProxyIdentity& proxy) {
  State& s = *state_;
  const std::string key = detail::scope_key(s.config, proxy, s.labels_matter);
  std::shared_ptr<const ScopeOutput> shared;
  {
    std::lock_guard lock(s.mu);
    if (auto it = s.scopes.find(key); it != s.scopes.end()) shared = it->second;
  }
  if (!shared) {
    // Built outside the lock so other scopes proceed; if two threads race on one
    // key, the first to finish wins and both use its result.
    auto built = std::make_shared<const ScopeOutput>(build_scope(s.config, s.registry, proxy, s.regexes));
    std::lock_guard lock(s.mu);
    shared = s.scopes.try_emplace(key, std::move(built)).first->second;
  }
  return assemble(s.config, s.registry, proxy, *shared, s.regexes);
}

size_t SharedTranslation::scope_count() const {
  std::lock_guard lock(state_->mu);
  return state_->scopes.size();
}

}  // namespace mesh::translate
