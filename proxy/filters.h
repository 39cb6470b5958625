// The route's request filters, in Istio's HTTP filter order: fault (delay, then
// abort), CORS, then the router's own redirect and rewrite. Pure helpers here;
// Downstream applies them (proxy/downstream_filters.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/http1.h"
#include "core/proxyconfig/proxy_config.h"

namespace mesh::proxy {

// A request head copied out of the read block, for requests held across a fault
// delay (the block is reused while the request waits).
class OwnedHead {
 public:
  void assign(const net::Http1Head& head);
  void clear();
  const net::Http1Head& head() const { return head_; }
  bool empty() const { return data_.empty(); }

 private:
  std::string data_;
  std::vector<net::HeaderField> fields_;
  net::Http1Head head_;
};

// A request held across a fault delay: its head (the read block is reused while
// it waits), the route's pick and any body bytes that arrived meanwhile.
struct HeldRequest {
  OwnedHead head;
  const pc::WeightedCluster* destination = nullptr;
  std::string body;
  uint32_t abort_status = 0;  // answer this after the delay (delay then abort)
};

// Per-request state the filters leave for the forwarding and response paths.
// Small when unused: an idle connection keeps this, so the rare parts are boxed.
struct FilterState {
  std::string response_headers;  // "name: value\r\n" lines added to the response (CORS)
  std::string path;              // rewritten :path ("" = unchanged)
  std::string authority;         // rewritten Host ("" = unchanged)
  std::unique_ptr<HeldRequest> held;
  size_t match_index = 0;  // the match block that selected the route
  bool delaying = false;
  void reset();
};

// A response the filters answer with instead of forwarding.
struct FilterReply {
  int status = 0;
  std::string headers;  // extra "name: value\r\n" lines
  std::string_view body;
};

// CORS for the route: true when the proxy answers (a preflight) with `reply`;
// otherwise the headers for the actual response are left in `state`.
bool apply_cors(const pc::CorsPolicy& cors, const net::Http1Head& head, FilterState& state,
                FilterReply& reply);

// The redirect response for a RedirectAction route.
void redirect_reply(const pc::RedirectAction& redirect, const net::Http1Head& head, uint32_t listener_port,
                    FilterReply& reply);

// Fills state.path/state.authority from the route's rewrite policy, if any.
// `match_index`: the match block that selected the route (its uri prefix is swapped).
void apply_rewrite(const pc::Route& route, size_t match_index, const net::Http1Head& head,
                   FilterState& state);

}  // namespace mesh::proxy
