// The control-plane wire protocol (both roles speak it; neither includes the other).
//
// One long-lived TCP stream per proxy (default port 15010). Every message is a
// frame: a 4-byte big-endian length, then that many bytes of JSON with a "type":
//   proxy -> control  {"type":"hello", pod identity, ports, the version it serves}
//   control -> proxy  {"type":"snapshot","version":N,"config":{ProxyConfig}}
//   proxy -> control  {"type":"ack","version":N} or {"type":"nack","version":N,"error":"..."}
// A snapshot is sent only when the proxy's translated config changed (content
// hash), so versions a proxy sees may skip numbers. Frames are capped at 64 MiB.
// Because the first byte of a frame is always < 0x04, a server can tell an HTTP
// request ("GET ...") on the same port from a proxy and answer it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/api_common.h"
#include "core/proxyconfig/proxy_config.h"

namespace mesh::xds {

inline constexpr uint16_t kDefaultPort = 15010;
inline constexpr size_t kMaxFrame = 64u << 20;

struct PortInfo {
  std::string name;
  uint32_t number = 0;
};

// Who a proxy is: enough for the control plane to treat it as a Pod.
struct Hello {
  bool gateway = false;
  std::string name;
  std::string ns = "default";
  model::Labels labels;
  std::string ip;
  std::string service_account = "default";
  std::vector<PortInfo> ports;
  uint64_t version = 0;  // the config version it serves now (0: none yet)
};

struct Message {
  enum class Type { kInvalid, kHello, kSnapshot, kAck, kNack };
  Type type = Type::kInvalid;
  std::string error;   // kInvalid: why; kNack: the proxy's reason
  uint64_t version = 0;
  Hello hello;                                // kHello
  std::shared_ptr<pc::ProxyConfig> config;    // kSnapshot, when it decoded
  std::string config_error;                   // kSnapshot that did not decode
};

std::string encode_hello(const Hello& hello);
// `config_json` is encode_config() of the config, already computed by the caller.
std::string encode_snapshot(uint64_t version, std::string_view config_json);
// A snapshot message is snapshot_head(version) + the config's JSON + kSnapshotTail,
// for senders that write the config in parts.
std::string snapshot_head(uint64_t version);
inline constexpr std::string_view kSnapshotTail = "}";
std::string encode_ack(uint64_t version);
std::string encode_nack(uint64_t version, std::string_view error);

// Never throws: malformed input yields Type::kInvalid with the reason.
Message decode_message(std::string_view payload);

// Splits a byte stream into frame payloads.
class FrameReader {
 public:
  void feed(const char* data, size_t n) { buffer_.append(data, n); }
  // The next complete payload, if any. False also when the stream is broken
  // (oversized frame): check failed().
  bool next(std::string& payload);
  bool failed() const { return failed_; }
  bool empty() const { return buffer_.size() == consumed_; }

 private:
  std::string buffer_;
  size_t consumed_ = 0;
  bool failed_ = false;
};

// Prefixes `payload` with its length.
std::string frame(std::string_view payload);
std::string frame_header(size_t payload_length);  // the 4 bytes before a payload

}  // namespace mesh::xds
