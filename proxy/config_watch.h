// Reload on file change: inotify (libuv fs_event) on the --config paths, with a
// debounce so an editor's burst of writes (truncate, write, rename) becomes one
// reload. A file is watched through its directory, so replacing it by rename
// (what editors and `kubectl`-style tools do) is seen too; a directory is
// watched with every subdirectory that exists when the proxy starts.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mesh::proxy {

class ConfigWatch {
 public:
  // Runs on `loop`; `on_change` is called on it debounce_ms after the last event.
  ConfigWatch(uv_loop_t* loop, const std::vector<std::string>& paths, uint64_t debounce_ms,
              std::function<void()> on_change);
  ~ConfigWatch();
  ConfigWatch(const ConfigWatch&) = delete;
  ConfigWatch& operator=(const ConfigWatch&) = delete;

  // Closes every handle; the loop must run their close callbacks before this is destroyed.
  void close();
  size_t watched() const { return watches_.size(); }

 private:
  struct Watch {
    ConfigWatch* owner = nullptr;
    uv_fs_event_t handle{};
    std::string only;  // a file name in the directory, or "" for every entry
  };
  void add(const std::string& dir, const std::string& only);
  static void on_event(uv_fs_event_t* handle, const char* filename, int events, int status) noexcept;
  static void on_timer(uv_timer_t* timer) noexcept;

  uv_loop_t* loop_;
  uint64_t debounce_ms_;
  std::function<void()> on_change_;
  uv_timer_t timer_{};
  std::vector<std::unique_ptr<Watch>> watches_;
  bool closed_ = false;
};

}  // namespace mesh::proxy
