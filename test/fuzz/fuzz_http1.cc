// libFuzzer target: arbitrary bytes through the HTTP/1 codec as the proxy uses
// it. The first byte picks the direction (requests from clients, responses
// from upstreams) and how the input is cut into reads; every head that parses
// is serialised the way the proxy forwards it, with a rewritten path and
// layered header ops. Any crash, sanitizer report or hang is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/net/buffer_pool.h"
#include "core/net/http1.h"
#include "proxy/headers.h"

namespace {

using namespace mesh;

pc::HeaderOps ops() {
  pc::HeaderOps o;
  o.set = {{"x-set", "1"}, {"host", "set.example"}};
  o.add = {{"x-add", "2"}};
  o.remove = {"user-agent", "x-set"};
  return o;
}

class Sink final : public net::Http1Handler {
 public:
  int on_head(const net::Http1Head& head) override {
    static const pc::HeaderOps route = ops(), destination = ops();
    out_.clear();
    if (head.request) {
      proxy::RequestHeadContext ctx;
      ctx.peer_ip = "127.0.0.1";
      ctx.framing = head.chunked ? proxy::Framing::kChunked : proxy::Framing::kLength;
      ctx.content_length = head.content_length;
      ctx.route_ops = &route;
      ctx.destination_ops = &destination;
      ctx.path = head.url.size() % 2 ? std::string_view("/rewritten") : std::string_view();
      proxy::build_upstream_request(head, ctx, out_);
    } else {
      proxy::ResponseHeadContext ctx;
      ctx.framing = proxy::Framing::kChunked;
      ctx.route_ops = &route;
      proxy::build_downstream_response(head, ctx, out_);
    }
    return head.method == 2 ? 1 : 0;  // sometimes treat it as a response to HEAD
  }
  void on_body(const char* data, size_t len) override { body_bytes_ += len + (len ? data[0] & 1 : 0); }
  void on_message_complete() override { ++messages_; }

 private:
  std::string out_;
  size_t body_bytes_ = 0;
  size_t messages_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool request = (data[0] & 1) == 0;
  const size_t step = 1 + (data[0] >> 1);  // bytes per simulated read
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  static net::BufferPool pool(4);
  Sink sink;
  net::Http1Reader reader(request ? net::Http1Reader::Kind::kRequest : net::Http1Reader::Kind::kResponse,
                          pool, sink);
  while (!input.empty()) {
    std::string_view chunk = input.substr(0, step);
    input.remove_prefix(chunk.size());
    net::ParseStatus st = reader.feed(chunk);
    while (st == net::ParseStatus::kMessageDone) st = reader.resume();
    if (st == net::ParseStatus::kError || st == net::ParseStatus::kUpgrade) return 0;
  }
  reader.finish();
  return 0;
}
