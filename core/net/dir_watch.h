// Watches directories with libuv fs events (inotify: one watch per directory, as
// Linux has no recursive watch) and calls back once things settle: every event
// restarts a debounce timer, so an editor's save or `cp -r` is one change.
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace mesh::net {

class DirWatch {
 public:
  DirWatch(uv_loop_t* loop, uint64_t debounce_ms, std::function<void()> on_change);
  ~DirWatch();
  DirWatch(const DirWatch&) = delete;
  DirWatch& operator=(const DirWatch&) = delete;

  // Watches exactly these directories (adds new ones, drops vanished ones).
  void watch(const std::vector<std::string>& dirs);
  // Closes every handle; the loop must run once more before this object goes.
  void close();

 private:
  static void on_event(uv_fs_event_t* handle, const char* name, int events, int status) noexcept;
  static void on_timer(uv_timer_t* timer) noexcept;

  uv_loop_t* loop_;
  uint64_t debounce_ms_;
  std::function<void()> on_change_;
  uv_timer_t timer_{};
  std::map<std::string, uv_fs_event_t*> watches_;
  bool closed_ = false;
};

}  // namespace mesh::net
