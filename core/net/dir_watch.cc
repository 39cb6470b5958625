#include "core/net/dir_watch.h"

#include <cstdio>
#include <set>

#include "core/net/loop.h"

namespace mesh::net {
namespace {

void free_event(uv_handle_t* h) {
  delete reinterpret_cast<uv_fs_event_t*>(h);
}

}  // namespace

DirWatch::DirWatch(uv_loop_t* loop, uint64_t debounce_ms, std::function<void()> on_change)
    : loop_(loop), debounce_ms_(debounce_ms), on_change_(std::move(on_change)) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
}

DirWatch::~DirWatch() {
  close();
}

void DirWatch::watch(const std::vector<std::string>& dirs) {
  if (closed_) return;
  std::set<std::string> wanted(dirs.begin(), dirs.end());
  for (auto it = watches_.begin(); it != watches_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    net::close_handle(reinterpret_cast<uv_handle_t*>(it->second), free_event);
    it = watches_.erase(it);
  }
  for (const std::string& dir : wanted) {
    if (watches_.count(dir)) continue;
    auto* h = new uv_fs_event_t;
    uv_fs_event_init(loop_, h);
    h->data = this;
    int rc = uv_fs_event_start(h, &DirWatch::on_event, dir.c_str(), 0);
    if (rc != 0) {
      std::fprintf(stderr, "mesh: cannot watch %s: %s\n", dir.c_str(), uv_strerror(rc));
      uv_close(reinterpret_cast<uv_handle_t*>(h), free_event);
      continue;
    }
    watches_[dir] = h;
  }
}

void DirWatch::on_event(uv_fs_event_t* handle, const char*, int, int) noexcept {
  auto* self = static_cast<DirWatch*>(handle->data);
  if (self->closed_) return;
  uv_timer_start(&self->timer_, &DirWatch::on_timer, self->debounce_ms_, 0);
}

void DirWatch::on_timer(uv_timer_t* timer) noexcept {
  auto* self = static_cast<DirWatch*>(timer->data);
  self->on_change_();
}

void DirWatch::close() {
  if (closed_) return;
  closed_ = true;
  for (auto& [dir, h] : watches_) net::close_handle(reinterpret_cast<uv_handle_t*>(h), free_event);
  watches_.clear();
  net::close_handle(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

}  // namespace mesh::net
