// Per-worker counters. Each worker is the only writer of its own set (plain
// load+store, no lock prefix); the admin thread sums them with relaxed loads.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace mesh::proxy {

class Counter {
 public:
  void add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void sub(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// Envoy's names where one exists, so dashboards and habits carry over.
#define MESH_PROXY_COUNTERS(X)    \
  X(downstream_cx_total)          \
  X(downstream_cx_active)         \
  X(downstream_rq_total)          \
  X(downstream_rq_1xx)            \
  X(downstream_rq_2xx)            \
  X(downstream_rq_3xx)            \
  X(downstream_rq_4xx)            \
  X(downstream_rq_5xx)            \
  X(downstream_rq_rx_reset)       \
  X(downstream_cx_protocol_error) \
  X(downstream_rq_timeout)        \
  X(upstream_cx_total)            \
  X(upstream_cx_active)           \
  X(upstream_cx_connect_fail)     \
  X(upstream_cx_connect_timeout)  \
  X(upstream_cx_reused)           \
  X(upstream_rq_total)            \
  X(upstream_rq_timeout)          \
  X(upstream_rq_mirrored)         \
  X(upstream_rq_mirror_dropped)   \
  X(upstream_cx_protocol_error)   \
  X(upstream_cx_overflow)         \
  X(upstream_cx_idle_timeout)     \
  X(upstream_rq_pending_total)    \
  X(upstream_rq_pending_overflow) \
  X(upstream_rq_retry)            \
  X(upstream_rq_retry_overflow)   \
  X(upstream_rq_per_try_timeout)  \
  X(flag_NR)                      \
  X(flag_UH)                      \
  X(flag_UF)                      \
  X(flag_UC)                      \
  X(flag_UT)                      \
  X(flag_UPE)                     \
  X(flag_UO)                      \
  X(flag_URX)                     \
  X(flag_LR)                      \
  X(flag_DI)                      \
  X(flag_FI)                      \
  X(flag_DC)                      \
  X(access_log_dropped)

struct WorkerStats {
#define MESH_DECLARE_COUNTER(name) Counter name;
  MESH_PROXY_COUNTERS(MESH_DECLARE_COUNTER)
#undef MESH_DECLARE_COUNTER
};

}  // namespace mesh::proxy
