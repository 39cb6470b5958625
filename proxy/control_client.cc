#include "proxy/control_client.h"

#include <algorithm>
#include <cstdio>

#include "core/net/loop.h"
#include "core/net/tcp.h"
#include "proxy/proxy.h"

namespace mesh::proxy {

ControlClient::ControlClient(Proxy& proxy, ControlClientOptions options)
    : proxy_(proxy), options_(std::move(options)), random_(std::random_device{}()) {}

ControlClient::~ControlClient() {
  close();
}

bool ControlClient::start(std::string& error) {
  std::string host;
  uint16_t port = 0;
  if (!net::parse_host_port(options_.address, host, port) || net::make_address(host, port, address_) != 0) {
    error = "--control wants ADDR:PORT with an IP address, got '" + options_.address + "'";
    return false;
  }
  loop_ = proxy_.main_loop();
  uv_timer_init(loop_, &retry_timer_);
  retry_timer_.data = this;
  timer_open_ = true;
  backoff_ms_ = options_.backoff_initial_ms;
  connect();
  return true;
}

void ControlClient::connect() {
  if (closed_) return;
  stream_ = xds::Stream::create(loop_, *this);
  stream_->connect(reinterpret_cast<const sockaddr*>(&address_));
}

void ControlClient::on_connected(xds::Stream& stream) {
  xds::Hello hello = options_.hello;
  hello.version = version_;
  stream.send(xds::encode_hello(hello));
  backoff_ms_ = options_.backoff_initial_ms;
  if (logged_down_) std::fprintf(stderr, "mesh proxy: control plane %s is back\n", options_.address.c_str());
  logged_down_ = false;
}

std::string ControlClient::check(const pc::ProxyConfig& config) const {
  if (!options_.route_table.empty() && !config.find_route_table(options_.route_table))
    return "route table " + options_.route_table + " (--route-table) is not in the snapshot";
  return "";
}

void ControlClient::on_frame(xds::Stream& stream, std::string payload) {
  xds::Message m = xds::decode_message(payload);
  if (m.type != xds::Message::Type::kSnapshot) {
    std::fprintf(stderr, "mesh proxy: unexpected message from the control plane: %s\n", m.error.c_str());
    stream.close("protocol error");
    return;
  }
  std::string error = m.config ? check(*m.config) : m.config_error;
  if (!error.empty()) {
    std::fprintf(stderr, "mesh proxy: config version %llu refused, old config kept: %s\n",
                 static_cast<unsigned long long>(m.version), error.c_str());
    stream.send(xds::encode_nack(m.version, error));
    return;
  }
  m.config->version = m.version;
  version_ = m.version;
  proxy_.update_config(std::move(m.config));
  stream.send(xds::encode_ack(m.version));
}

void ControlClient::on_closed(xds::Stream& stream, const std::string& reason) {
  if (&stream == stream_) stream_ = nullptr;
  if (!closed_) retry_later(reason);
}

// Full jitter over the upper half: waits in [backoff/2, backoff], then doubles it.
void ControlClient::retry_later(const std::string& why) {
  if (!logged_down_) {
    std::fprintf(stderr, "mesh proxy: control plane %s unavailable (%s); serving config version %llu\n",
                 options_.address.c_str(), why.c_str(), static_cast<unsigned long long>(version_));
    logged_down_ = true;
  }
  const uint64_t half = backoff_ms_ / 2;
  const uint64_t wait = half + std::uniform_int_distribution<uint64_t>(0, half)(random_);
  backoff_ms_ = std::min(backoff_ms_ * 2, options_.backoff_max_ms);
  uv_timer_start(&retry_timer_, [](uv_timer_t* t) { static_cast<ControlClient*>(t->data)->connect(); }, wait, 0);
}

void ControlClient::close() {
  if (closed_) return;
  closed_ = true;
  if (timer_open_) net::close_handle(reinterpret_cast<uv_handle_t*>(&retry_timer_), nullptr);
  if (stream_) stream_->close("proxy shutting down");
}

}  // namespace mesh::proxy
