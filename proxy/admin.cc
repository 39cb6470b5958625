#include "proxy/admin.h"

#include <algorithm>
#include <cstdio>

#include "core/net/http1.h"
#include "core/net/tcp.h"
#include "proxy/clusters_admin.h"
#include "core/translate/translate.h"
#include "proxy/config_watch.h"
#include "proxy/headers.h"
#include "proxy/proxy.h"
#include "proxy/worker.h"

namespace mesh::proxy {

// One admin/health connection: a request, a response, then close.
class AdminConn final : net::Http1Handler {
 public:
  AdminConn(Admin& admin, bool health, uint64_t serial)
      : admin_(admin),
        serial_(serial),
        health_(health),
        reader_(net::Http1Reader::Kind::kRequest, admin.buffers(), *this),
        writer_(reinterpret_cast<uv_stream_t*>(&tcp_), this, &AdminConn::on_written) {
    uv_tcp_init(admin.loop(), &tcp_);
    tcp_.data = this;
  }
  uv_tcp_t* tcp() { return &tcp_; }
  uint64_t serial() const { return serial_; }

  void start() {
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&tcp_),
        [](uv_handle_t* h, size_t, uv_buf_t* b) { *b = static_cast<AdminConn*>(h->data)->reader_.alloc(); },
        [](uv_stream_t* s, ssize_t n, const uv_buf_t*) {
          auto* self = static_cast<AdminConn*>(s->data);
          if (n > 0 && !self->answered_) {
            net::ParseStatus st = self->reader_.on_data(static_cast<size_t>(n));
            if (st == net::ParseStatus::kError) self->reply(400, "bad request\n", "text/plain");
            return;
          }
          self->reader_.on_no_data();
          if (n < 0) self->close();
        });
  }

  void close() {
    if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp_))) return;
    writer_.abandon();
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), [](uv_handle_t* h) {
      auto* self = static_cast<AdminConn*>(h->data);
      self->admin_.forget(self);
      delete self;
    });
  }

 private:
  int on_head(const net::Http1Head& head) override {
    method_.assign(head.method_name);
    path_.assign(head.url);
    return 0;
  }
  void on_body(const char*, size_t) override {}
  void on_message_complete() override {
    if (!health_ && path_.substr(0, path_.find('?')) == "/clusters") {
      admin_.clusters(this);  // answered once every worker has reported
      return;
    }
    int status = 200;
    std::string body, type = "text/plain";
    admin_.respond(health_, method_, path_, status, body, type);
    reply(status, body, type);
  }


 public:
  void reply(int status, std::string_view body, std::string_view type) {
    answered_ = true;
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason_phrase(status)) +
                      "\r\ncontent-type: " + std::string(type) +
                      "\r\ncontent-length: " + std::to_string(body.size()) + "\r\nconnection: close\r\n\r\n" +
                      std::string(body);
    if (!writer_.write(out) || writer_.idle()) close();
  }

  static void on_written(void* p, int) { static_cast<AdminConn*>(p)->close(); }

 private:
  Admin& admin_;
  uint64_t serial_;
  bool health_;
  uv_tcp_t tcp_{};
  net::Http1Reader reader_;
  net::Writer writer_;
  std::string method_, path_;
  bool answered_ = false;
};

Admin::Admin(Proxy& proxy) : proxy_(proxy) {
  uv_timer_init(loop_.get(), &tick_);
  tick_.data = this;
}

Admin::~Admin() {
  close_handles();
  loop_.close();
}

int Admin::listen(bool health, const sockaddr* address) {
  uv_tcp_t* h = health ? &health_ : &admin_;
  h->data = this;
  int rc = net::tcp_listen(loop_.get(), h, address, false, 128, &Admin::on_connection);
  (health ? health_open_ : admin_open_) = true;
  if (rc == 0) (health ? health_port_ : admin_port_) = net::bound_port(h);
  return rc;
}

void Admin::on_connection(uv_stream_t* listener, int status) noexcept {
  auto* self = static_cast<Admin*>(listener->data);
  if (status < 0) return;
  auto* conn =
      new AdminConn(*self, listener == reinterpret_cast<uv_stream_t*>(&self->health_), ++self->conn_serial_);
  self->conns_.push_back(conn);
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(conn->tcp())) != 0) {
    conn->close();
    return;
  }
  conn->start();
}

// Each running worker snapshots its own endpoints on its thread and posts the
// result back here; the last one to arrive answers. The request path never
// takes a lock for this.
void Admin::clusters(AdminConn* conn) {
  struct Collect {
    EndpointSnapshots merged;
    size_t expected = 0, received = 0;
    uint64_t serial = 0;
  };
  auto collect = std::make_shared<Collect>();
  collect->serial = conn->serial();
  std::vector<Worker*> live;
  for (auto& w : proxy_.workers_) {
    if (!w->finished()) live.push_back(w.get());
  }
  collect->expected = live.size();
  auto answer = [this, collect] {
    for (AdminConn* c : conns_) {
      if (c->serial() != collect->serial) continue;
      std::string body = proxy_.config_ ? format_clusters(*proxy_.config_, collect->merged) : "";
      c->reply(200, body, "text/plain");
      return;
    }
  };
  if (live.empty()) answer();
  for (Worker* w : live) {
    w->post([this, w, collect, answer] {
      auto snapshot = std::make_shared<EndpointSnapshots>();
      w->snapshot_endpoints(*snapshot);
      loop_.post([collect, snapshot, answer] {
        merge_snapshots(collect->merged, *snapshot);
        if (++collect->received == collect->expected) answer();
      });
    });
  }
}

void Admin::forget(AdminConn* conn) {
  conns_.erase(std::remove(conns_.begin(), conns_.end(), conn), conns_.end());
}

void Admin::run() {
  if (proxy_.options_.handle_signals) {
    signals_open_ = true;
    for (uv_signal_t* s : {&sigterm_, &sigint_, &sighup_}) {
      uv_signal_init(loop_.get(), s);
      s->data = this;
    }
    uv_signal_start(&sigterm_, &Admin::on_signal, SIGTERM);
    uv_signal_start(&sigint_, &Admin::on_signal, SIGINT);
    uv_signal_start(&sighup_, &Admin::on_signal, SIGHUP);
  }
  if (!proxy_.options_.watch_paths.empty()) {
    watch_ = std::make_unique<ConfigWatch>(loop_.get(), proxy_.options_.watch_paths,
                                           proxy_.options_.watch_debounce_ms, [this] { reload("file change"); });
  }
  loop_.run();
}

// SIGHUP and file changes: a config that fails validation is refused, the old one kept.
void Admin::reload(const char* why) {
  std::string error;
  if (!proxy_.reload(error)) {
    std::fprintf(stderr, "mesh proxy: reload refused, old config kept: %s\n", error.c_str());
    return;
  }
  std::fprintf(stderr, "mesh proxy: config reloaded (%s)\n", why);
}

void Admin::on_signal(uv_signal_t* s, int signum) noexcept {
  auto* self = static_cast<Admin*>(s->data);
  if (signum == SIGHUP) {
    self->reload("SIGHUP");
    return;
  }
  self->start_drain(true);
}

void Admin::post_shutdown() {
  loop_.post([this] { start_drain(true); });
}

void Admin::post_drain() {
  loop_.post([this] { start_drain(false); });
}

void Admin::start_drain(bool exit_after) {
  exiting_ |= exit_after;
  if (!proxy_.draining_.exchange(true)) {
    for (auto& w : proxy_.workers_) w->drain();
    deadline_ms_ = uv_now(loop_.get()) + static_cast<uint64_t>(proxy_.options_.drain_seconds * 1000);
  }
  if (exiting_) uv_timer_start(&tick_, &Admin::on_tick, 0, 10);
}

void Admin::on_tick(uv_timer_t* t) noexcept {
  auto* self = static_cast<Admin*>(t->data);
  bool all_done = std::all_of(self->proxy_.workers_.begin(), self->proxy_.workers_.end(),
                              [](const auto& w) { return w->finished(); });
  if (all_done || uv_now(self->loop_.get()) >= self->deadline_ms_) self->finish();
}

void Admin::finish() {
  for (auto& w : proxy_.workers_) {
    if (!w->finished()) w->stop();
  }
  for (auto& w : proxy_.workers_) w->join();
  close_handles();
  uv_stop(loop_.get());
}

void Admin::close_handles() {
  std::vector<std::function<void()>> hooks = std::move(proxy_.shutdown_hooks_);
  for (auto& hook : hooks) hook();
  auto close = [](auto* h) { net::close_handle(reinterpret_cast<uv_handle_t*>(h), nullptr); };
  if (admin_open_) close(&admin_);
  if (health_open_) close(&health_);
  admin_open_ = health_open_ = false;
  if (signals_open_) {
    close(&sigterm_);
    close(&sigint_);
    close(&sighup_);
    signals_open_ = false;
  }
  close(&tick_);
  if (watch_) watch_->close();
  std::vector<AdminConn*> conns = conns_;
  for (AdminConn* c : conns) c->close();
}

void Admin::respond(bool health, std::string_view method, std::string_view path, int& status,
                    std::string& body, std::string& content_type) {
  std::shared_ptr<const pc::ProxyConfig> config = proxy_.config();
  bool serving = proxy_.ready() && config != nullptr;
  if (health) {
    status = path == "/healthz/ready" ? (serving ? 200 : 503) : 404;
    body = status == 200 ? "" : (status == 503 ? (proxy_.draining() ? "draining\n" : "no config yet\n") : "");
    return;
  }
  size_t q = path.find('?');
  std::string_view p = path.substr(0, q);
  if (p == "/ready") {
    status = serving ? 200 : 503;
    body = serving ? "LIVE\n" : (proxy_.draining() ? "DRAINING\n" : "PRE_INITIALIZING\n");
  } else if (p == "/stats") {
    body = proxy_.stats_text();
  } else if (p == "/stats/prometheus") {
    content_type = "text/plain; version=0.0.4";
    body = proxy_.prometheus_text();
  } else if (p == "/config_dump") {
    content_type = "application/json";
    body = config ? translate::to_json(*config) + "\n" : "{}\n";
  } else if (p == "/listeners") {
    content_type = "application/json";
    body = proxy_.listeners_json();
  } else if (p == "/quitquitquit" || p == "/drain") {
    if (method != "POST") {
      status = 405;
      body = "use POST\n";
      return;
    }
    body = "OK\n";
    if (p == "/quitquitquit") {
      post_shutdown();
    } else {
      post_drain();
    }
  } else {
    status = 404;
    body = "admin endpoints: /clusters /config_dump /listeners /ready /stats /stats/prometheus /drain /quitquitquit\n";
  }
}

}  // namespace mesh::proxy
