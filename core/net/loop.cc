#include "core/net/loop.h"

namespace mesh::net {

Loop::Loop() {
  uv_loop_init(&loop_);
  uv_async_init(&loop_, &async_, &Loop::on_async);
  async_.data = this;
}

Loop::~Loop() {
  if (!closed_) close();
}

void Loop::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    posted_.push_back(std::move(fn));
  }
  uv_async_send(&async_);
}

void Loop::on_async(uv_async_t* handle) noexcept {
  static_cast<Loop*>(handle->data)->drain_posted();
}

void Loop::drain_posted() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) fn();
}

void Loop::run() {
  uv_run(&loop_, UV_RUN_DEFAULT);
}

void Loop::stop() {
  post([this] { uv_stop(&loop_); });
}

int Loop::close() {
  if (closed_) return 0;
  closed_ = true;
  drain_posted();
  close_handle(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  // Let every pending close callback run; bounded so a leaked handle cannot hang us.
  for (int i = 0; i < 64 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) {
  }
  return uv_loop_close(&loop_);
}

}  // namespace mesh::net
