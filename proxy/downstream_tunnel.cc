// Downstream's side of an Upgrade (WebSocket) tunnel: the request goes out on a
// tunnel connection of its own; once the client's upgrade request is parsed its
// further bytes bypass the parser.
#include "proxy/downstream.h"
#include "proxy/worker.h"

namespace mesh::proxy {

void Downstream::start_tunnel(const net::Http1Head& head, const pc::WeightedCluster& destination) {
  destination_ = &destination;
  EndpointPool* pool = pick_endpoint(worker_, destination.cluster);
  if (pool == nullptr) {
    flag(kFlagUH);
    local_reply(503, "no healthy upstream", true);
    return;
  }
  // A tunnel holds a connection and an active request for its life. It does not
  // queue for a connection as a plain request would: over the limit it overflows.
  Tunnel::Slots slots;
  if (pool->breaker != nullptr) {
    slots.connection = policy::ResourceGuard(*pool->breaker, policy::Resource::kConnection);
    if (slots.connection) slots.request = policy::ResourceGuard(*pool->breaker, policy::Resource::kRequest);
    if (!slots.connection || !slots.request) {
      worker_.stats().upstream_cx_overflow.add();
      flag(kFlagUO);
      local_reply(503, "upstream connect error or disconnect/reset before headers. reset reason: overflow",
                  true);
      return;
    }
  }
  RequestHeadContext ctx;
  ctx.peer_ip = peer_ip_;
  ctx.route_ops = &route_->request_headers;
  ctx.destination_ops = &destination.request_headers;
  ctx.random_hi = worker_.random();
  ctx.random_lo = worker_.random();
  ctx.path = filters_.path;
  ctx.authority = filters_.authority;
  HeaderVars vars{&tcp_, nullptr, &head};
  ctx.vars = &vars;
  std::string& out = worker_.scratch();
  out.clear();
  build_upstream_request(head, ctx, out);
  add_upgrade_headers(head, out);
  log_request_id(out);
  log_upstream_host(*pool);
  worker_.stats().upstream_rq_total.add();
  keep_alive_ = false;  // after a tunnel, or a refused upgrade, the connection ends
  tunnel_ = Tunnel::open(worker_, *pool, std::move(slots), *this, out);
}

// The client's upgrade request is parsed: whatever follows it is tunnel data.
void Downstream::enter_tunnel() {
  tunnelling_ = true;
  std::string_view early = reader_.unparsed();
  if (!early.empty()) tunnel_->from_client(early.data(), early.size());
  reader_.consume_unparsed();
  reader_.release();
}

void Downstream::tunnel_read(ssize_t n) {
  if (n > 0 && tunnel_ != nullptr) {
    tunnel_->from_client(tunnel_->client_buffer().base, static_cast<size_t>(n));
  } else if (n < 0) {
    close();  // the tunnel flushes what the client sent, then closes its side
  }
}

void Downstream::tunnel_pause_client(bool pause) {
  if (pause) {
    stop_reading();
  } else {
    start_reading();
  }
}

void Downstream::tunnel_response(int status) {
  response_started_ = true;
  count_status(status);
}

void Downstream::tunnel_ended() {
  tunnel_ = nullptr;
  if (!response_started_) {
    flag(kFlagUF);
    local_reply(503,
                "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
                true);
  }
  response_complete_ = true;
  close_after_flush();
}

}  // namespace mesh::proxy
