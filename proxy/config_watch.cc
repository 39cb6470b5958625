#include "proxy/config_watch.h"

#include <filesystem>

#include "core/net/loop.h"

namespace mesh::proxy {

namespace fs = std::filesystem;

ConfigWatch::ConfigWatch(uv_loop_t* loop, const std::vector<std::string>& paths, uint64_t debounce_ms,
                         std::function<void()> on_change)
    : loop_(loop), debounce_ms_(debounce_ms), on_change_(std::move(on_change)) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      add(p, "");
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (it->is_directory(ec)) add(it->path().string(), "");
      }
    } else {
      fs::path file(p);
      std::string dir = file.has_parent_path() ? file.parent_path().string() : ".";
      add(dir, file.filename().string());
    }
  }
}

ConfigWatch::~ConfigWatch() {
  close();
}

void ConfigWatch::add(const std::string& dir, const std::string& only) {
  auto w = std::make_unique<Watch>();
  w->owner = this;
  w->only = only;
  uv_fs_event_init(loop_, &w->handle);
  w->handle.data = w.get();
  if (uv_fs_event_start(&w->handle, &ConfigWatch::on_event, dir.c_str(), 0) != 0) {
    // A path that cannot be watched (gone, no permission) still reloads on SIGHUP.
    net::close_handle(reinterpret_cast<uv_handle_t*>(&w->handle), nullptr);
  }
  watches_.push_back(std::move(w));
}

void ConfigWatch::on_event(uv_fs_event_t* handle, const char* filename, int, int status) noexcept {
  auto* w = static_cast<Watch*>(handle->data);
  ConfigWatch* self = w->owner;
  if (status < 0 || self->closed_) return;
  if (!w->only.empty() && (filename == nullptr || w->only != filename)) return;
  uv_timer_start(&self->timer_, &ConfigWatch::on_timer, self->debounce_ms_, 0);
}

void ConfigWatch::on_timer(uv_timer_t* timer) noexcept {
  auto* self = static_cast<ConfigWatch*>(timer->data);
  if (!self->closed_) self->on_change_();
}

void ConfigWatch::close() {
  if (closed_) return;
  closed_ = true;
  for (auto& w : watches_) net::close_handle(reinterpret_cast<uv_handle_t*>(&w->handle), nullptr);
  net::close_handle(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

}  // namespace mesh::proxy
