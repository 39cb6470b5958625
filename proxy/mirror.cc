#include "proxy/mirror.h"

#include <algorithm>

#include "core/policy/fault.h"
#include "core/policy/rewrite.h"
#include "proxy/headers.h"
#include "proxy/worker.h"

namespace mesh::proxy {

EndpointPool* pick_endpoint(Worker& worker, std::string_view cluster_name) {
  ClusterState* cluster = worker.cluster(cluster_name);
  if (cluster == nullptr) return nullptr;
  std::optional<size_t> endpoint = cluster->pick(policy::LbContext{}, uv_now(worker.loop()));
  return endpoint ? cluster->pool(*endpoint) : nullptr;
}

namespace {

// The main request's head with its Host replaced by the shadow host.
std::string shadow_head(const std::string& head, std::string_view shadow_host) {
  std::string out;
  out.reserve(head.size() + 16);
  size_t line_start = 0;
  while (line_start < head.size()) {
    size_t eol = head.find("\r\n", line_start);
    if (eol == std::string::npos) eol = head.size();
    std::string_view line(head.data() + line_start, eol - line_start);
    if (line_start != 0 && line.size() >= 5 && net::iequals(line.substr(0, 5), "host:")) {
      out.append("host: ").append(shadow_host);
    } else {
      out.append(line);
    }
    out.append("\r\n");
    line_start = eol + 2;
  }
  return out;
}

}  // namespace

Shadow* Shadow::start(Worker& worker, const pc::MirrorPolicy& mirror, const std::string& request_head) {
  EndpointPool* pool = pick_endpoint(worker, mirror.cluster);
  if (pool == nullptr) return nullptr;
  auto* s = new Shadow(worker);
  bool reused = false;
  s->up_ = Upstream::acquire(worker, *pool, s, &reused);
  if (s->up_ == nullptr) {  // the mirror cluster is at its connection limit: no copy
    delete s;
    worker.stats().upstream_rq_mirror_dropped.add();
    return nullptr;
  }
  worker.add_shadow(s);
  worker.stats().upstream_rq_mirrored.add();
  uv_buf_t b =
      uv_buf_init(const_cast<char*>(request_head.data()), static_cast<unsigned>(request_head.size()));
  s->up_->write(&b, 1);
  return s;
}

void Shadow::body(const char* data, size_t len, bool chunked) {
  if (up_ == nullptr || finished_) return;
  if (up_->queued() > Upstream::kHighWater) {  // the mirror is slower than the client: let it go
    worker_.stats().upstream_rq_mirror_dropped.add();
    abort();
    return;
  }
  char header[24];
  uv_buf_t bufs[3];
  unsigned n = 0;
  if (chunked) bufs[n++] = uv_buf_init(header, static_cast<unsigned>(chunk_header(len, header)));
  bufs[n++] = uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(len));
  if (chunked) bufs[n++] = uv_buf_init(const_cast<char*>("\r\n"), 2);
  up_->write(bufs, n);
}

void Shadow::end(bool chunked) {
  if (up_ == nullptr || finished_ || !chunked) return;
  uv_buf_t b = uv_buf_init(const_cast<char*>("0\r\n\r\n"), 5);
  up_->write(&b, 1);
}

int Shadow::on_upstream_head(const net::Http1Head&) {
  return 0;  // the body is read and dropped
}

void Shadow::on_upstream_complete() {
  Upstream* up = up_;
  up_ = nullptr;
  // Reusable only once the request went out whole; the owner still streaming means it did not.
  up->release(owner_ == nullptr);
  done();
}

void Shadow::on_upstream_error(UpstreamError) {
  up_ = nullptr;
  done();
}

void Shadow::abort() {
  if (up_ != nullptr) up_->abort();
  up_ = nullptr;
  done();
}

// The upstream may still call on_upstream_read_end on us after the response
// ends inside a read: deletion waits for it.
void Shadow::done() {
  if (finished_) return;
  finished_ = true;
  if (owner_ != nullptr) owner_->forget(this);
  owner_ = nullptr;
  worker_.remove_shadow(this);
  if (!in_read_) delete this;
}

void Shadow::on_upstream_read_end() {
  in_read_ = false;
  if (finished_) delete this;
}

void Mirrors::start(Worker& worker, const pc::ForwardAction& route, const std::string& request_head,
                    std::string_view authority) {
  policy::Random random(worker.random());
  for (const pc::MirrorPolicy& m : route.mirrors) {
    if (!policy::should_mirror(m, random)) continue;
    Shadow* s = Shadow::start(worker, m, shadow_head(request_head, policy::shadow_host(authority)));
    if (s == nullptr) continue;
    s->set_owner(this);
    shadows_.push_back(s);
  }
}

void Mirrors::body(const char* data, size_t len, bool chunked) {
  std::vector<Shadow*> copy = shadows_;  // a shadow may drop itself
  for (Shadow* s : copy) s->body(data, len, chunked);
}

void Mirrors::end(bool chunked) {
  std::vector<Shadow*> copy = shadows_;
  for (Shadow* s : copy) s->end(chunked);
  detach();
}

void Mirrors::abort() {
  std::vector<Shadow*> copy = shadows_;
  for (Shadow* s : copy) s->abort();
  shadows_.clear();
}

void Mirrors::forget(Shadow* s) {
  shadows_.erase(std::remove(shadows_.begin(), shadows_.end(), s), shadows_.end());
}

void Mirrors::detach() {
  for (Shadow* s : shadows_) s->set_owner(nullptr);
  shadows_.clear();
}

}  // namespace mesh::proxy
