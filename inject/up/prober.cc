#include "inject/up/prober.h"

#include <chrono>

#include "inject/up/netns_io.h"

namespace mesh::up {

Prober::Prober() : thread_([this] { loop(); }) {}

Prober::~Prober() {
  stop();
}

void Prober::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Prober::set_targets(std::vector<ProbeTarget> targets) {
  std::lock_guard<std::mutex> lock(mu_);
  targets_ = std::move(targets);
}

bool Prober::ok(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = results_.find(key);
  return it != results_.end() && it->second;
}

void Prober::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    std::vector<ProbeTarget> targets = targets_;
    lock.unlock();
    std::map<std::string, bool> results;
    for (const ProbeTarget& t : targets) {
      if (t.path.empty()) {
        results[t.key] = probe_tcp(t.netns, t.ip, t.port, 1000);
      } else {
        const int status = probe_http(t.netns, t.ip, t.port, t.path, 1000);
        results[t.key] = status >= 200 && status < 400;
      }
    }
    lock.lock();
    results_ = std::move(results);
    // The probe period; stop() wakes the wait early.
    wake_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stop_; });
  }
}

}  // namespace mesh::up
