#include "core/translate/translate.h"

#include <mutex>
#include <unordered_map>

#include "core/translate/context.h"
#include "core/translate/encoded_config.h"

namespace mesh::translate {
namespace {

// What proxies of one scope share: the indexes, the route tables and the
// scope's clusters, and (once a push asks for it) their encoding.
struct ScopeOutput {
  std::shared_ptr<const detail::Scope> scope;
  pc::SharedList<pc::RouteTable> route_tables;
  std::vector<pc::Cluster> clusters;
  mutable std::once_flag encoded_once;
  mutable detail::SharedPart encoded;

  const detail::SharedPart& encoding() const {
    std::call_once(encoded_once, [this] { encoded = detail::encode_shared_part(route_tables, clusters); });
    return encoded;
  }
};

std::shared_ptr<const ScopeOutput> build_scope(const model::ConfigSet& config, const registry::Registry& registry,
                                               const pc::ProxyIdentity& proxy, detail::RegexCache& regexes) {
  auto out = std::make_shared<ScopeOutput>();
  out->scope = detail::Scope::build(config, registry, proxy);
  detail::Context ctx(config, registry, proxy, out->scope, regexes);
  std::vector<pc::RouteTable> tables =
      ctx.gateway ? detail::build_gateway_route_tables(ctx) : detail::build_sidecar_route_tables(ctx);
  out->route_tables =
      pc::SharedList<pc::RouteTable>(std::make_shared<std::vector<pc::RouteTable>>(std::move(tables)));
  out->clusters = detail::build_scope_clusters(ctx);
  return out;
}

// The parts of a proxy's config that are its own, around its scope's.
struct OwnParts {
  model::OutboundTrafficPolicy::Mode outbound_policy;
  std::vector<pc::Listener> listeners;
  std::vector<pc::Cluster> clusters;
};

OwnParts build_own(const model::ConfigSet& config, const registry::Registry& registry,
                   const pc::ProxyIdentity& proxy, const ScopeOutput& shared, detail::RegexCache& regexes) {
  detail::Context ctx(config, registry, proxy, shared.scope, regexes);
  pc::ProxyConfig listeners_only;
  listeners_only.route_tables = shared.route_tables;  // a sidecar listens on each table's port
  detail::build_listeners(ctx, listeners_only);
  OwnParts own{ctx.outbound_mode(), std::move(listeners_only.listeners), {}};
  detail::build_own_clusters(ctx, own.clusters);
  return own;
}

std::shared_ptr<const pc::ProxyConfig> assemble(const model::ConfigSet& config,
                                                const registry::Registry& registry,
                                                const pc::ProxyIdentity& proxy, const ScopeOutput& shared,
                                                detail::RegexCache& regexes) {
  auto out = std::make_shared<pc::ProxyConfig>();
  out->version = 1;
  out->proxy = proxy;
  OwnParts own = build_own(config, registry, out->proxy, shared, regexes);
  out->outbound_policy = own.outbound_policy;
  out->listeners = std::move(own.listeners);
  out->route_tables = shared.route_tables;  // listeners refer to them by name
  out->clusters.reserve(shared.clusters.size() + own.clusters.size());
  out->clusters = shared.clusters;
  for (pc::Cluster& c : own.clusters) out->clusters.push_back(std::move(c));
  return out;
}

}  // namespace

std::shared_ptr<const pc::ProxyConfig> translate(const model::ConfigSet& config,
                                                 const registry::Registry& registry,
                                                 const pc::ProxyIdentity& proxy) {
  detail::RegexCache regexes;
  return assemble(config, registry, proxy, *build_scope(config, registry, proxy, regexes), regexes);
}

struct SharedTranslation::State {
  const model::ConfigSet& config;
  const registry::Registry& registry;
  const bool labels_matter;
  detail::RegexCache regexes;
  std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<const ScopeOutput>> scopes;

  std::shared_ptr<const ScopeOutput> scope_of(const pc::ProxyIdentity& proxy);
};

std::shared_ptr<const ScopeOutput> SharedTranslation::State::scope_of(const pc::ProxyIdentity& proxy) {
  const std::string key = detail::scope_key(config, proxy, labels_matter);
  {
    std::lock_guard lock(mu);
    if (auto it = scopes.find(key); it != scopes.end()) return it->second;
  }
  // Built outside the lock so other scopes proceed; if two threads race on one
  // key, the first to finish wins and both use its result.
  auto built = build_scope(config, registry, proxy, regexes);
  std::lock_guard lock(mu);
  return scopes.try_emplace(key, std::move(built)).first->second;
}

SharedTranslation::SharedTranslation(const model::ConfigSet& config, const registry::Registry& registry)
    : state_(std::make_unique<State>(config, registry, detail::labels_matter(config))) {}

SharedTranslation::~SharedTranslation() = default;

std::shared_ptr<const pc::ProxyConfig> SharedTranslation::translate(const pc::ProxyIdentity& proxy) {
  return assemble(state_->config, state_->registry, proxy, *state_->scope_of(proxy), state_->regexes);
}

EncodedConfig SharedTranslation::encode(const pc::ProxyIdentity& proxy) {
  const std::shared_ptr<const ScopeOutput> scope = state_->scope_of(proxy);
  const OwnParts own = build_own(state_->config, state_->registry, proxy, *scope, state_->regexes);
  return detail::encode_config(proxy, own.outbound_policy, own.listeners, scope->encoding(), own.clusters);
}

size_t SharedTranslation::scope_count() const {
  std::lock_guard lock(state_->mu);
  return state_->scopes.size();
}

}  // namespace mesh::translate
