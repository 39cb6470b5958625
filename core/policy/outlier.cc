#include "core/policy/outlier.h"

#include <algorithm>

namespace mesh::policy {

namespace {

bool is_gateway_error(uint32_t status) {
  return status == 502 || status == 503 || status == 504;
}

}  // namespace

OutlierSettings OutlierSettings::from(const std::optional<model::OutlierDetection>& config) {
  OutlierSettings s;
  if (!config) return s;
  s.enabled = true;
  if (config->consecutive_5xx_errors) s.consecutive_5xx = *config->consecutive_5xx_errors;
  if (config->consecutive_gateway_errors) s.consecutive_gateway = *config->consecutive_gateway_errors;
  if (config->consecutive_local_origin_failures)
    s.consecutive_local_origin = *config->consecutive_local_origin_failures;
  s.split_local_origin = config->split_external_local_origin_errors;
  if (config->interval && config->interval->count() > 0) s.interval = *config->interval;
  if (config->base_ejection_time && config->base_ejection_time->count() > 0) {
    s.base_ejection_time = *config->base_ejection_time;
  }
  s.max_ejection_time = std::max(s.max_ejection_time, s.base_ejection_time);
  if (config->max_ejection_percent)
    s.max_ejection_percent = std::clamp(*config->max_ejection_percent, 0, 100);
  if (config->min_health_percent) s.min_health_percent = std::clamp(*config->min_health_percent, 0, 100);
  return s;
}

OutlierDetector::OutlierDetector(const std::optional<model::OutlierDetection>& config,
                                 const std::vector<pc::Endpoint>& endpoints, MonoTime now)
    : settings_(OutlierSettings::from(config)), hosts_(endpoints.size()), usable_(endpoints.size(), 1) {
  for (size_t i = 0; i < endpoints.size(); ++i) hosts_[i].healthy = endpoints[i].healthy;
  next_sweep_ = now + settings_.interval;
  refresh_usable();
}

// Envoy's counters: any 5xx feeds consecutive_5xx; 502/503/504 also feed the
// gateway counter while another 5xx resets it; anything below 500 resets both.
bool OutlierDetector::on_response(size_t endpoint, uint32_t status, MonoTime now) {
  if (!settings_.enabled || endpoint >= hosts_.size()) return false;
  Host& h = hosts_[endpoint];
  if (status < 500) {
    h.consecutive_5xx = h.consecutive_gateway = 0;
    if (settings_.split_local_origin) h.consecutive_local = 0;
    return false;
  }
  h.consecutive_gateway = is_gateway_error(status) ? h.consecutive_gateway + 1 : 0;
  ++h.consecutive_5xx;
  const bool gateway_hit =
      settings_.consecutive_gateway > 0 && h.consecutive_gateway >= settings_.consecutive_gateway;
  const bool any_hit = settings_.consecutive_5xx > 0 && h.consecutive_5xx >= settings_.consecutive_5xx;
  if (!gateway_hit && !any_hit) return false;
  return try_eject(endpoint, now);
}

bool OutlierDetector::on_local_failure(size_t endpoint, LocalFailure failure, MonoTime now) {
  if (!settings_.enabled || endpoint >= hosts_.size()) return false;
  if (!settings_.split_local_origin) {
    return on_response(endpoint, failure == LocalFailure::kTimeout ? 504 : 503, now);
  }
  Host& h = hosts_[endpoint];
  ++h.consecutive_local;
  if (settings_.consecutive_local_origin == 0 || h.consecutive_local < settings_.consecutive_local_origin) {
    return false;
  }
  return try_eject(endpoint, now);
}

// The first ejection always happens; later ones only while the share already
// ejected is below maxEjectionPercent (so one ejection may pass the limit, as
// in Envoy). In panic mode ejection is off.
bool OutlierDetector::try_eject(size_t endpoint, MonoTime now) {
  Host& h = hosts_[endpoint];
  h.consecutive_5xx = h.consecutive_gateway = h.consecutive_local = 0;
  if (h.ejected || panic_) return false;
  const size_t total = hosts_.size();
  if (ejected_count_ > 0 && ejected_count_ * 100 >= settings_.max_ejection_percent * total) return false;
  h.ejected = true;
  ++h.times_ejected;
  const MonoTime duration =
      std::min(settings_.base_ejection_time * h.times_ejected, settings_.max_ejection_time);
  h.ejected_until = now + duration;
  ++ejected_count_;
  refresh_usable();
  return true;
}

// Returns endpoints whose time is up; an endpoint that stays in service for a
// whole interval has its ejection multiplier lowered by one, as Envoy does.
bool OutlierDetector::sweep(MonoTime now) {
  if (now < next_sweep_) return false;
  next_sweep_ = now + settings_.interval;
  bool changed = false;
  for (Host& h : hosts_) {
    if (h.ejected && now >= h.ejected_until) {
      h.ejected = false;
      --ejected_count_;
      changed = true;
    } else if (!h.ejected && h.times_ejected > 0 && now >= h.ejected_until + settings_.interval) {
      --h.times_ejected;
    }
  }
  if (changed) refresh_usable();
  return changed;
}

void OutlierDetector::carry_over(const OutlierDetector& previous, std::span<const size_t> from) {
  if (!settings_.enabled || !previous.settings_.enabled) return;
  ejected_count_ = 0;
  for (size_t i = 0; i < hosts_.size() && i < from.size(); ++i) {
    if (from[i] >= previous.hosts_.size()) continue;
    const bool healthy = hosts_[i].healthy;  // the registry's word is the new config's
    hosts_[i] = previous.hosts_[from[i]];
    hosts_[i].healthy = healthy;
    ejected_count_ += hosts_[i].ejected ? 1 : 0;
  }
  next_sweep_ = previous.next_sweep_;
  refresh_usable();
}

void OutlierDetector::refresh_usable() {
  size_t healthy = 0;
  for (const Host& h : hosts_) healthy += h.healthy && !h.ejected ? 1 : 0;
  panic_ =
      settings_.enabled && !hosts_.empty() && healthy * 100 < settings_.min_health_percent * hosts_.size();
  for (size_t i = 0; i < hosts_.size(); ++i) {
    usable_[i] = panic_ || (hosts_[i].healthy && !hosts_[i].ejected) ? 1 : 0;
  }
}

}  // namespace mesh::policy
