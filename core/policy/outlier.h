// Passive health checking per cluster, as Envoy's outlier detection under
// Istio's DestinationRule.trafficPolicy.outlierDetection: consecutive 5xx and
// consecutive gateway errors eject an endpoint at once; a sweep every
// `interval` returns endpoints whose ejection (baseEjectionTime x times
// ejected, at most 300 s) is over. Time is passed in, so tests drive a fake
// clock. Owned by one worker; no allocation after construction.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/proxyconfig/proxy_config.h"

namespace mesh::policy {

using MonoTime = std::chrono::nanoseconds;  // monotonic, any epoch (e.g. uv_now in ms, converted)

// Failures the proxy sees itself. Unless splitExternalLocalOriginErrors is set
// they count as the status Envoy maps them to: connect failure and reset 503,
// timeout 504.
enum class LocalFailure { kConnectFailure, kTimeout, kReset };

struct OutlierSettings {
  bool enabled = false;
  uint32_t consecutive_5xx = 5;           // 0: off
  uint32_t consecutive_gateway = 0;       // 0: off (Istio enforces it only when set)
  uint32_t consecutive_local_origin = 5;  // only with split_local_origin
  bool split_local_origin = false;
  MonoTime interval = std::chrono::seconds(10);
  MonoTime base_ejection_time = std::chrono::seconds(30);
  MonoTime max_ejection_time = std::chrono::seconds(300);
  uint32_t max_ejection_percent = 10;
  uint32_t min_health_percent = 0;  // Istio's default: panic mode off

  static OutlierSettings from(const std::optional<model::OutlierDetection>& config);
};

class OutlierDetector {
 public:
  OutlierDetector(const std::optional<model::OutlierDetection>& config,
                  const std::vector<pc::Endpoint>& endpoints, MonoTime now);

  // Each returns true when the usable set changed, so the caller rebuilds its
  // LoadBalancer from usable().
  bool on_response(size_t endpoint, uint32_t status, MonoTime now);
  bool on_local_failure(size_t endpoint, LocalFailure failure, MonoTime now);
  bool sweep(MonoTime now);  // call when now >= next_sweep()
  // A new config kept some endpoints: they keep their counters, ejection and
  // times ejected from `previous` (from[i]: endpoint i's index there, or
  // kNotCarried), so a config push neither forgives nor forgets an outlier.
  static constexpr size_t kNotCarried = SIZE_MAX;
  void carry_over(const OutlierDetector& previous, std::span<const size_t> from);

  MonoTime next_sweep() const { return next_sweep_; }
  bool enabled() const { return settings_.enabled; }
  bool ejected(size_t endpoint) const { return endpoint < hosts_.size() && hosts_[endpoint].ejected; }
  uint32_t times_ejected(size_t endpoint) const {
    return endpoint < hosts_.size() ? hosts_[endpoint].times_ejected : 0;
  }
  size_t ejected_count() const { return ejected_count_; }
  // Fewer than minHealthPercent endpoints healthy: every endpoint is used.
  bool panic() const { return panic_; }
  // One entry per endpoint; non-zero means the balancer may pick it.
  std::span<const uint8_t> usable() const { return usable_; }
  const OutlierSettings& settings() const { return settings_; }

 private:
  struct Host {
    bool healthy = true;  // from the registry
    bool ejected = false;
    uint32_t consecutive_5xx = 0;
    uint32_t consecutive_gateway = 0;
    uint32_t consecutive_local = 0;
    uint32_t times_ejected = 0;
    MonoTime ejected_until{};
  };

  bool try_eject(size_t endpoint, MonoTime now);
  void refresh_usable();

  OutlierSettings settings_;
  std::vector<Host> hosts_;
  std::vector<uint8_t> usable_;
  size_t ejected_count_ = 0;
  bool panic_ = false;
  MonoTime next_sweep_{};
};

}  // namespace mesh::policy
