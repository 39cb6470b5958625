// `mesh control`: watches the config directory, keeps the registry of proxies
// that joined (their hello), translates per proxy and pushes snapshots over one
// stream per proxy, tracking ACK/NACK. The same port answers plain HTTP debug
// requests (a frame's first byte is never a letter):
//   GET /debug/syncz                   every proxy, its versions and sync status (JSON)
//   GET /debug/config_dump?proxy=REF   the ProxyConfig last sent to that proxy
//   GET /ready                         200 once the first scan is done
// One uv loop, one thread: every handler below runs on it.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "control/config_dir.h"
#include "core/net/dir_watch.h"
#include "control/push.h"
#include "core/net/loop.h"
#include "core/xds/stream.h"

namespace mesh::control {

struct ControlOptions {
  std::string config_dir;
  std::string listen = "0.0.0.0:15010";
  uint64_t debounce_ms = 100;
  uint64_t join_delay_ms = 5;  // coalesces proxies joining at once into one push
  std::string ready_file;      // JSON with the bound port, written once serving
  bool handle_signals = true;
};

class Server final : xds::StreamHandler, ConfigSource {
 public:
  explicit Server(ControlOptions options);
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  bool start(std::string& error);
  int run();  // until SIGTERM/SIGINT (or stop())
  void stop();  // thread-safe
  uint16_t port() const { return port_; }

 private:
  static void on_connection(uv_stream_t* listener, int status) noexcept;
  void on_frame(xds::Stream& stream, std::string payload) override;
  void on_text(xds::Stream& stream, std::string_view bytes) override;
  void on_closed(xds::Stream& stream, const std::string& reason) override;
  void contribute(model::ConfigSet& out) const override;  // joined proxies as Pods

  void on_dir_change();
  void schedule_push(uint64_t delay_ms);
  void mark_all_dirty();
  void rebuild();
  void push_all();
  void handle_hello(xds::Stream& stream, const xds::Hello& hello);
  std::string debug_reply(std::string_view target, int& status);
  void write_ready_file();
  void close_all();
  uint64_t now_ms() { return uv_now(loop_.get()); }

  ControlOptions options_;
  net::Loop loop_;
  uv_tcp_t listener_{};
  bool listener_open_ = false;
  uv_timer_t push_timer_{};
  uv_signal_t sigterm_{}, sigint_{};
  bool signals_open_ = false;
  uint16_t port_ = 0;
  ConfigDir dir_;
  std::unique_ptr<net::DirWatch> watch_;
  std::unordered_map<xds::Stream*, ProxyRecord> proxies_;  // joined (hello received)
  std::unordered_map<xds::Stream*, bool> streams_;         // every open stream
  // Every source's objects, except Deployments & co. (moved to workloads_): in a
  // running mesh only real (joined) pods are endpoints, never made-up replicas.
  model::ConfigSet config_;
  std::vector<model::Workload> workloads_;  // for `mesh routes DEPLOYMENT`
  registry::Registry registry_;
  uint64_t version_ = 0;
  bool closed_ = false;
};

}  // namespace mesh::control
