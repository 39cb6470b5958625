#include "core/translate/translate.h"

#include "core/translate/context.h"

namespace mesh::translate {

std::shared_ptr<const pc::ProxyConfig> translate(const model::ConfigSet& config,
                                                 const registry::Registry& registry,
                                                 const pc::ProxyIdentity& proxy) {
  auto out = std::make_shared<pc::ProxyConfig>();
  out->version = 1;
  out->proxy = proxy;
  detail::Context ctx(config, registry, out->proxy);
  out->outbound_policy = ctx.outbound_mode();
  // Route tables first: listeners refer to them by name.
  if (ctx.gateway) {
    detail::build_gateway_route_tables(ctx, *out);
  } else {
    detail::build_sidecar_route_tables(ctx, *out);
  }
  detail::build_listeners(ctx, *out);
  detail::build_clusters(ctx, *out);
  return out;
}

}  // namespace mesh::translate
