#include "proxy/filters.h"

#include <variant>

#include "core/policy/cors.h"
#include "core/policy/rewrite.h"

namespace mesh::proxy {

void OwnedHead::assign(const net::Http1Head& head) {
  // One buffer holds method, url and every field; the copy's views point into it.
  data_.clear();
  fields_.clear();
  data_.append(head.method_name).append(head.url);
  for (uint32_t i = 0; i < head.count; ++i) {
    net::HeaderField f;
    f.name_off = static_cast<uint32_t>(data_.size());
    f.name_len = static_cast<uint32_t>(head.name(i).size());
    data_.append(head.name(i));
    f.value_off = static_cast<uint32_t>(data_.size());
    f.value_len = static_cast<uint32_t>(head.value(i).size());
    data_.append(head.value(i));
    fields_.push_back(f);
  }
  head_ = head;
  head_.base = data_.data();
  head_.fields = fields_.data();
  head_.method_name = std::string_view(data_.data(), head.method_name.size());
  head_.url = std::string_view(data_.data() + head.method_name.size(), head.url.size());
}

void OwnedHead::clear() {
  data_.clear();
  fields_.clear();
  head_ = net::Http1Head{};
}

void FilterState::reset() {
  response_headers.clear();
  path.clear();
  authority.clear();
  held.reset();
  match_index = 0;
  delaying = false;
}

namespace {

void add_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

bool apply_cors(const pc::CorsPolicy& cors, const net::Http1Head& head, FilterState& state,
                FilterReply& reply) {
  policy::CorsRequest request;
  request.method = head.method_name;
  bool has_origin = false, has_request_method = false;
  std::string_view origin = head.find("origin", &has_origin);
  std::string_view request_method = head.find("access-control-request-method", &has_request_method);
  if (has_origin) request.origin = origin;
  if (has_request_method) request.request_method = request_method;
  policy::CorsDecision decision = policy::decide_cors(cors, request);
  std::string& out =
      decision.action == policy::CorsDecision::Action::kRespond ? reply.headers : state.response_headers;
  for (const policy::CorsHeader& h : decision.headers()) add_header(out, h.name, h.value);
  if (decision.action != policy::CorsDecision::Action::kRespond) return false;
  reply.status = static_cast<int>(decision.status);
  return true;
}

void redirect_reply(const pc::RedirectAction& redirect, const net::Http1Head& head, uint32_t listener_port,
                    FilterReply& reply) {
  policy::RedirectRequest request;
  std::string_view proto = head.find("x-forwarded-proto");
  request.scheme = proto == "https" ? "https" : "http";
  request.host = head.find("host");
  request.path = head.url;
  request.port = listener_port;
  reply.status = static_cast<int>(redirect.status);
  add_header(reply.headers, "location", policy::redirect_location(redirect, request));
}

void apply_rewrite(const pc::Route& route, size_t match_index, const net::Http1Head& head,
                   FilterState& state) {
  const auto* forward = std::get_if<pc::ForwardAction>(&route.action);
  if (forward == nullptr || !forward->rewrite) return;
  const pc::StringMatcher* uri = nullptr;
  if (match_index < route.matches.size() && route.matches[match_index].uri)
    uri = &*route.matches[match_index].uri;
  if (!policy::rewrite_path(*forward->rewrite, uri, head.url, state.path)) state.path.clear();
  state.authority = forward->rewrite->authority;
}

}  // namespace mesh::proxy
