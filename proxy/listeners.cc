#include "proxy/listeners.h"

#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cstdio>

#include "core/net/tcp.h"
#include "core/translate/json_writer.h"
#include "proxy/worker.h"

namespace mesh::proxy {

namespace {

const char* protocol_name(pc::Listener::Protocol p) {
  return p == pc::Listener::Protocol::kTcp ? "TCP" : p == pc::Listener::Protocol::kTls ? "TLS" : "HTTP";
}

// One socket per worker, all on the port the first one got; false (and every
// socket closed) if any cannot bind.
bool bind_all(const ListenerSpec& spec, bool ephemeral, size_t n, std::vector<int>& fds, uint16_t& port,
              std::string& error) {
  sockaddr_storage addr{};
  port = ephemeral ? 0 : static_cast<uint16_t>(spec.port);
  if (spec.port > 65535 || net::make_address(spec.address, port, addr) != 0) {
    error = "not an IP address and port: " + spec.key();
    return false;
  }
  for (size_t i = 0; i < n; ++i) {
    // Each worker's socket shares the address (SO_REUSEPORT: the kernel spreads connections).
    int fd = net::listen_socket(reinterpret_cast<const sockaddr*>(&addr), 4096);
    if (fd < 0) {
      error = uv_strerror(fd);
      for (int f : fds) ::close(f);
      fds.clear();
      return false;
    }
    fds.push_back(fd);
    port = net::socket_port(fd);
    reinterpret_cast<sockaddr_in*>(&addr)->sin_port = htons(port);  // same offset in sockaddr_in6
  }
  return true;
}

}  // namespace

std::string ListenerStatus::bound() const {
  const std::string host = spec.address.find(':') != std::string::npos ? "[" + spec.address + "]" : spec.address;
  return host + ":" + std::to_string(bound_port);
}

std::vector<ListenerSpec> served_listeners(const pc::ProxyConfig& config, std::vector<std::string>& skipped) {
  using P = pc::Listener::Protocol;
  std::vector<ListenerSpec> out;
  for (const pc::Listener& l : config.listeners) {
    if (l.protocol == P::kTls) {
      skipped.push_back(l.name + " (TLS listeners are not served yet)");
      continue;
    }
    if (l.protocol == P::kTcp && l.tcp_cluster.empty()) {
      skipped.push_back(l.name + " (TCP, but no VirtualService tcp route for it)");
      continue;
    }
    ListenerSpec spec{l.name, l.address, l.port, l.route_table, l.protocol, {}};
    if (l.protocol == P::kTcp) spec.tcp = tcp_target(l);
    out.push_back(std::move(spec));
  }
  return out;
}

ListenerDiff diff_listeners(const std::vector<ListenerSpec>& current, const std::vector<ListenerSpec>& wanted) {
  ListenerDiff diff;
  std::map<std::string, const ListenerSpec*> have;
  for (const ListenerSpec& c : current) have.emplace(c.key(), &c);
  std::set<std::string> want;
  for (const ListenerSpec& w : wanted) {
    if (!want.insert(w.key()).second) continue;  // a key twice: the first wins
    auto it = have.find(w.key());
    if (it == have.end()) {
      diff.open.push_back(w);
      continue;
    }
    if (it->second->protocol != w.protocol) {
      diff.close.push_back(w.key());
      diff.open.push_back(w);
      continue;
    }
    diff.keep.push_back(w);
    if (it->second->route_table != w.route_table || !(it->second->tcp == w.tcp)) diff.retable.push_back(w);
  }
  for (const ListenerSpec& c : current) {
    if (!want.count(c.key())) diff.close.push_back(c.key());
  }
  return diff;
}

ListenerSet::~ListenerSet() = default;

ListenerDiff ListenerSet::close_removed(const pc::ProxyConfig& config, const std::vector<Worker*>& workers) {
  std::vector<std::string> skipped;
  std::vector<ListenerSpec> wanted = served_listeners(config, skipped);
  log_skipped(skipped);
  std::vector<ListenerSpec> current;
  for (const Open& o : open_) current.push_back(o.status.spec);
  ListenerDiff diff = diff_listeners(current, wanted);
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& key : diff.close) {
    auto it = std::find_if(open_.begin(), open_.end(), [&](const Open& o) { return o.status.spec.key() == key; });
    for (Worker* w : workers) {
      if (it->status.spec.is_tcp()) w->remove_tcp_config_listener(it->id);
      else w->remove_config_listener(it->id);
    }
    std::fprintf(stderr, "mesh proxy: listener %s closed (%s)\n", it->status.spec.name.c_str(),
                 it->status.bound().c_str());
    open_.erase(it);
  }
  // A failure is remembered only while the config still wants the listener.
  for (auto it = failed_.begin(); it != failed_.end();) {
    bool wanted_still = std::any_of(wanted.begin(), wanted.end(), [&](const auto& w) { return w.key() == it->first; });
    it = wanted_still ? std::next(it) : failed_.erase(it);
  }
  return diff;
}

bool ListenerSet::open_added(const ListenerDiff& diff, const std::vector<Worker*>& workers) {
  bool changed = !diff.close.empty();
  for (const ListenerSpec& spec : diff.retable) {
    std::lock_guard<std::mutex> lock(mu_);
    for (Open& o : open_) {
      if (o.status.spec.key() != spec.key()) continue;
      o.status.spec = spec;
      for (Worker* w : workers) {
        if (spec.is_tcp()) w->retarget_tcp_config_listener(o.id, spec.tcp);
        else w->retable_config_listener(o.id, spec.route_table);
      }
      changed = true;
    }
  }
  for (const ListenerSpec& spec : diff.open) changed |= open_one(spec, workers);
  return changed;
}

bool ListenerSet::open_one(const ListenerSpec& spec, const std::vector<Worker*>& workers) {
  std::vector<int> fds;
  ListenerStatus status{spec, 0, ""};
  if (!bind_all(spec, ephemeral_, workers.size(), fds, status.bound_port, status.error)) {
    status.bound_port = 0;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = failed_.find(spec.key());
    // Every push retries it; the log says so only when the reason changes.
    if (it == failed_.end() || it->second.error != status.error)
      std::fprintf(stderr, "mesh proxy: listener %s on %s not served: %s\n", spec.name.c_str(),
                   spec.key().c_str(), status.error.c_str());
    failed_[spec.key()] = status;
    return false;
  }
  const uint64_t id = next_id_++;
  for (size_t i = 0; i < workers.size(); ++i) {
    if (spec.is_tcp()) workers[i]->add_tcp_config_listener(id, fds[i], spec.tcp);
    else workers[i]->add_config_listener(id, fds[i], spec.route_table, spec.port);
  }
  std::fprintf(stderr, "mesh proxy: listener %s serving on %s (%s %s)\n", spec.name.c_str(), status.bound().c_str(),
               spec.is_tcp() ? "TCP to" : "route table", spec.is_tcp() ? spec.tcp.cluster.c_str() : spec.route_table.c_str());
  std::lock_guard<std::mutex> lock(mu_);
  failed_.erase(spec.key());
  open_.push_back(Open{status, id});
  return true;
}

void ListenerSet::log_skipped(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (skipped_logged_.insert(name).second)
      std::fprintf(stderr, "mesh proxy: listener %s is not served\n", name.c_str());
  }
}

std::vector<ListenerStatus> ListenerSet::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ListenerStatus> out;
  for (const Open& o : open_) out.push_back(o.status);
  auto by_name = [](const ListenerStatus& a, const ListenerStatus& b) { return a.spec.name < b.spec.name; };
  std::sort(out.begin(), out.end(), by_name);
  size_t bound = out.size();
  for (const auto& [key, f] : failed_) out.push_back(f);
  std::sort(out.begin() + static_cast<long>(bound), out.end(), by_name);
  return out;
}

std::string listeners_json(const std::vector<ListenerStatus>& listeners) {
  std::string out;
  translate::detail::JsonWriter w(out, 2);
  w.begin_array();
  for (const ListenerStatus& s : listeners) {
    w.begin_object();
    w.field("name", s.spec.name);
    w.field("address", s.spec.address);
    w.field("port", s.spec.port);
    w.field("protocol", protocol_name(s.spec.protocol));
    if (s.error.empty()) {
      w.field("bound", s.bound());
    } else {
      w.field("error", s.error);
    }
    if (s.spec.is_tcp()) {
      w.field("tcp_cluster", s.spec.tcp.cluster);
    } else {
      w.field("route_table", s.spec.route_table);
    }
    w.end_object();
  }
  w.end_array();
  return out + "\n";
}

std::string ListenerSet::ready_json() const {
  std::string out;
  translate::detail::JsonWriter w(out, -1);
  w.begin_object();
  for (const ListenerStatus& s : status()) {
    if (s.error.empty()) w.field(std::to_string(s.spec.port), s.bound_port);
  }
  w.end_object();
  return out;
}

}  // namespace mesh::proxy
