#include "control/server.h"

#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "control/debug.h"
#include "core/net/tcp.h"

namespace mesh::control {

Server::Server(ControlOptions options) : options_(std::move(options)), dir_(options_.config_dir) {
  uv_timer_init(loop_.get(), &push_timer_);
  push_timer_.data = this;
}

Server::~Server() {
  close_all();
  loop_.close();
}

bool Server::start(std::string& error) {
  std::vector<std::string> messages;
  dir_.rescan(messages);
  for (const std::string& m : messages) std::fprintf(stderr, "%s\n", m.c_str());
  watch_ = std::make_unique<net::DirWatch>(loop_.get(), options_.debounce_ms, [this] { on_dir_change(); });
  watch_->watch(dir_.directories());
  rebuild();
  malloc_trim(0);  // the YAML parse trees are gone: give their memory back
  std::string host;
  uint16_t port = 0;
  sockaddr_storage addr{};
  if (!net::parse_host_port(options_.listen, host, port) || net::make_address(host, port, addr) != 0) {
    error = "--listen wants ADDR:PORT with an IP address, got '" + options_.listen + "'";
    return false;
  }
  listener_.data = this;
  listener_open_ = true;
  int rc = net::tcp_listen(loop_.get(), &listener_, reinterpret_cast<const sockaddr*>(&addr), false, 512,
                           &Server::on_connection);
  if (rc != 0) {
    error = "listen on " + options_.listen + ": " + uv_strerror(rc);
    return false;
  }
  port_ = net::bound_port(&listener_);
  write_ready_file();
  return true;
}

void Server::write_ready_file() {
  std::string line = "{\"port\": " + std::to_string(port_) + "}\n";
  std::fprintf(stderr, "mesh control: serving %s on port %u: %s", options_.config_dir.c_str(), port_, line.c_str());
  if (options_.ready_file.empty()) return;
  const std::string tmp = options_.ready_file + ".tmp";
  {
    std::ofstream f(tmp);
    f << line;
  }
  std::rename(tmp.c_str(), options_.ready_file.c_str());
}

int Server::run() {
  if (options_.handle_signals) {
    signals_open_ = true;
    for (uv_signal_t* s : {&sigterm_, &sigint_}) {
      uv_signal_init(loop_.get(), s);
      s->data = this;
      uv_signal_start(s, [](uv_signal_t* h, int) { static_cast<Server*>(h->data)->close_all(); },
                      s == &sigterm_ ? SIGTERM : SIGINT);
    }
  }
  loop_.run();
  return 0;
}

void Server::stop() {
  loop_.post([this] { close_all(); });
}

void Server::close_all() {
  if (closed_) return;
  closed_ = true;
  if (watch_) watch_->close();
  auto close = [](auto* h) { net::close_handle(reinterpret_cast<uv_handle_t*>(h), nullptr); };
  if (listener_open_) close(&listener_);
  close(&push_timer_);
  if (signals_open_) {
    close(&sigterm_);
    close(&sigint_);
  }
  for (auto& [stream, open] : streams_) stream->close("control plane shutting down");
  loop_.stop();
}

void Server::on_connection(uv_stream_t* listener, int status) noexcept {
  auto* self = static_cast<Server*>(listener->data);
  if (status < 0 || self->closed_) return;
  xds::Stream* stream = xds::Stream::create(self->loop_.get(), *self);
  self->streams_[stream] = true;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(stream->tcp())) != 0) {
    stream->close("accept failed");
    return;
  }
  stream->start();
}

void Server::on_frame(xds::Stream& stream, std::string payload) {
  xds::Message m = xds::decode_message(payload);
  auto it = proxies_.find(&stream);
  using T = xds::Message::Type;
  if (m.type == T::kHello && it == proxies_.end()) return handle_hello(stream, m.hello);
  if (it != proxies_.end() && m.type == T::kAck) return it->second.on_ack(m.version, now_ms());
  if (it != proxies_.end() && m.type == T::kNack) {
    std::fprintf(stderr, "mesh control: %s rejected version %llu: %s\n", it->second.id.c_str(),
                 static_cast<unsigned long long>(m.version), m.error.c_str());
    return it->second.on_nack(m.version, m.error);
  }
  std::fprintf(stderr, "mesh control: closing stream from %s: %s\n", stream.peer().c_str(),
               m.type == T::kInvalid ? m.error.c_str() : "unexpected message");
  stream.close("protocol error");
}

void Server::handle_hello(xds::Stream& stream, const xds::Hello& hello) {
  ProxyRecord& record = proxies_[&stream];
  record.hello = hello;
  record.id = hello.name + "." + hello.ns;
  version_ = std::max(version_, hello.version);  // versions stay monotonic across restarts
  if (is_endpoint(config_, hello)) mark_all_dirty();
  std::fprintf(stderr, "mesh control: %s joined from %s\n", record.id.c_str(), stream.peer().c_str());
  schedule_push(options_.join_delay_ms);
}

void Server::on_closed(xds::Stream& stream, const std::string& reason) {
  streams_.erase(&stream);
  auto it = proxies_.find(&stream);
  if (it == proxies_.end()) return;
  std::fprintf(stderr, "mesh control: %s left: %s\n", it->second.id.c_str(), reason.c_str());
  const bool was_endpoint = is_endpoint(config_, it->second.hello);
  proxies_.erase(it);
  if (was_endpoint && !closed_) {
    mark_all_dirty();
    schedule_push(options_.join_delay_ms);  // its endpoints go away
  }
}

void Server::on_dir_change() {
  std::vector<std::string> messages;
  const bool changed = dir_.rescan(messages);
  for (const std::string& m : messages) std::fprintf(stderr, "%s\n", m.c_str());
  watch_->watch(dir_.directories());
  if (!changed) return;
  mark_all_dirty();
  schedule_push(0);
}

void Server::mark_all_dirty() {
  for (auto& [stream, record] : proxies_) record.dirty = true;
}

void Server::schedule_push(uint64_t delay_ms) {
  if (closed_) return;
  uv_timer_start(&push_timer_, [](uv_timer_t* t) { static_cast<Server*>(t->data)->push_all(); }, delay_ms, 0);
}

// A Pod the files already describe (a registry such as mesh up's publishes
// ready pods there) is not added again when its proxy joins.
void Server::contribute(model::ConfigSet& out) const {
  std::set<std::pair<std::string, std::string>> known;
  for (const model::Pod& p : out.pods) known.emplace(p.meta.ns.empty() ? "default" : p.meta.ns, p.meta.name);
  for (const auto& [stream, record] : proxies_) {
    if (!known.count({record.hello.ns, record.hello.name})) out.pods.push_back(pod_of(record.hello));
  }
}

void Server::rebuild() {
  config_ = merge({&dir_, this});
  workloads_ = std::move(config_.workloads);
  config_.workloads.clear();
  registry_ = registry::Registry::build(config_);
}

void Server::push_all() {
  uv_update_time(loop_.get());
  const uint64_t started_ms = now_ms();
  rebuild();
  ++version_;
  size_t sent = 0;
  {
    // One generation: proxies with the same scope share translation work and
    // memory. It lives for this push only, so its memory goes back below.
    translate::SharedTranslation translation(config_, registry_);
    for (auto& [stream, record] : proxies_) {
      if (!record.dirty) continue;  // nothing it depends on changed
      std::optional<Snapshot> snap = plan_push(translation, record, version_, now_ms());
      if (snap) snap->send(*stream);
      sent += snap.has_value();
    }
  }
  malloc_trim(0);  // translations are transient: give their memory back
  if (sent) {
    uv_update_time(loop_.get());
    std::fprintf(stderr, "mesh control: version %llu pushed to %zu of %zu proxies in %llu ms\n",
                 static_cast<unsigned long long>(version_), sent, proxies_.size(),
                 static_cast<unsigned long long>(now_ms() - started_ms));
  }
}

void Server::on_text(xds::Stream& stream, std::string_view bytes) {
  if (bytes.find("\r\n\r\n") == std::string_view::npos) return;  // the head is not complete yet
  const size_t sp1 = bytes.find(' ');
  const size_t sp2 = bytes.find(' ', sp1 == std::string_view::npos ? 0 : sp1 + 1);
  int status = 400;
  std::string body = "bad request\n";
  if (sp1 != std::string_view::npos && sp2 != std::string_view::npos) {
    if (bytes.substr(0, sp1) != "GET") {
      status = 405, body = "use GET\n";
    } else {
      body = debug_reply(bytes.substr(sp1 + 1, sp2 - sp1 - 1), status);
    }
  }
  const char* reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Bad Request";
  stream.send_raw("HTTP/1.1 " + std::to_string(status) + " " + reason +
                  "\r\ncontent-type: application/json\r\ncontent-length: " + std::to_string(body.size()) +
                  "\r\nconnection: close\r\n\r\n" + body);
  stream.close_when_written();
}

std::string Server::debug_reply(std::string_view target, int& status) {
  std::string_view path = target.substr(0, target.find('?'));
  std::vector<const ProxyRecord*> list;
  for (const auto& [stream, record] : proxies_) list.push_back(&record);
  std::sort(list.begin(), list.end(), [](const auto* a, const auto* b) { return a->id < b->id; });
  status = 200;
  if (path == "/ready") return "{\"ready\": true}\n";
  if (path == "/debug/syncz") return syncz_json(list);
  if (path == "/debug/config_dump") {
    const std::string ref = query_param(target, "proxy");
    const ProxyRecord* p = find_proxy(list, workloads_, ref);
    if (p && p->sent_version != 0) return config_json(config_, registry_, *p) + "\n";
    status = 404;
    return "{\"error\": " + nlohmann::json("no connected proxy " + ref).dump() + "}\n";
  }
  status = 404;
  return "{\"error\": \"endpoints: /ready /debug/syncz /debug/config_dump?proxy=NAME\"}\n";
}

}  // namespace mesh::control
