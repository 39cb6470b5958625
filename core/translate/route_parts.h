// Internal to translation: conversions of the parts of an HTTPRoute (matches,
// destinations, retries, faults, CORS, rewrites, redirects) into ProxyConfig.
#pragma once

#include "core/translate/context.h"

namespace mesh::translate::detail {

pc::StringMatcher string_matcher(Context& ctx, const model::StringMatch& m, bool ignore_case = false);
pc::RouteMatch convert_match(Context& ctx, const model::HTTPMatchRequest& m);
pc::HeaderOps header_ops(const model::HeaderOperations& ops);
pc::RetryPolicy default_retry();
pc::ForwardAction forward_action(Context& ctx, const model::HTTPRoute& http, const std::string& vs_ns,
                                 uint32_t listen_port);
pc::RedirectAction redirect_action(const model::HTTPRedirect& r);
pc::FaultPolicy fault_policy(const model::HTTPFaultInjection& f);
pc::CorsPolicy cors_policy(Context& ctx, const model::CorsPolicy& c);

}  // namespace mesh::translate::detail
