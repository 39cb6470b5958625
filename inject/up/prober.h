// Readiness probes on a thread of their own, so a slow application never
// stalls the supervisor's loop (which also relays the gateway's traffic).
// The loop sets the targets; the thread probes each about every 250 ms and the
// loop reads the latest results.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mesh::up {

struct ProbeTarget {
  std::string key;    // who asks, e.g. "pod/<name>/app"
  std::string netns;  // probed from inside this namespace
  std::string ip;
  uint16_t port = 0;
  std::string path;  // "" = TCP connect; else HTTP GET expecting 2xx/3xx
};

class Prober {
 public:
  Prober();
  ~Prober();
  void set_targets(std::vector<ProbeTarget> targets);
  // The last result for `key` (false until probed successfully).
  bool ok(const std::string& key) const;
  void stop();

 private:
  void loop();

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<ProbeTarget> targets_;
  std::map<std::string, bool> results_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace mesh::up
