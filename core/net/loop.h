// Event loop wrapper: one uv_loop per thread plus post(), the only way other
// threads hand work to it (uv_async coalesces wake-ups; a locked queue holds the work).
#pragma once

#include <uv.h>

#include <functional>
#include <mutex>
#include <vector>

namespace mesh::net {

class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  uv_loop_t* get() { return &loop_; }

  // Thread-safe: runs fn on the loop's thread, never synchronously from post().
  void post(std::function<void()> fn);
  // Runs until stop() (the async handle keeps the loop alive until close()).
  void run();
  // Thread-safe: makes run() return once the current iteration ends.
  void stop();
  // Closes the wake-up handle, runs remaining close callbacks and closes the loop.
  // Returns uv_loop_close()'s result: 0 when every handle was closed.
  int close();

 private:
  static void on_async(uv_async_t* handle) noexcept;
  void drain_posted();

  uv_loop_t loop_{};
  uv_async_t async_{};
  std::mutex mu_;
  std::vector<std::function<void()>> posted_;
  bool closed_ = false;
};

// Closes a handle unless it is already closing; safe to call more than once.
inline void close_handle(uv_handle_t* h, uv_close_cb cb) {
  if (!uv_is_closing(h)) uv_close(h, cb);
}

}  // namespace mesh::net
