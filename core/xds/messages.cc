#include "core/xds/messages.h"

#include "core/xds/config_codec.h"
#include "core/xds/json_in.h"

namespace mesh::xds {
namespace {

Json hello_json(const Hello& h) {
  Json ports = Json::array();
  for (const PortInfo& p : h.ports) ports.push_back({{"name", p.name}, {"number", p.number}});
  return Json{{"type", "hello"},           {"gateway", h.gateway}, {"name", h.name},
              {"namespace", h.ns},         {"labels", h.labels},   {"ip", h.ip},
              {"serviceAccount", h.service_account}, {"ports", ports}, {"version", h.version}};
}

void read_hello(JsonIn& in, const Json& j, Hello& h) {
  in.get(j, "gateway", h.gateway);
  in.get(j, "name", h.name);
  in.get(j, "namespace", h.ns);
  in.get(j, "labels", h.labels);
  in.get(j, "ip", h.ip);
  in.get(j, "serviceAccount", h.service_account);
  in.get(j, "version", h.version);
  const Json* ports = in.array(j, "ports");
  for (size_t i = 0; ports && in.ok() && i < ports->size(); ++i) {
    auto s = in.enter("ports", i);
    PortInfo p;
    in.get((*ports)[i], "name", p.name);
    in.get((*ports)[i], "number", p.number);
    h.ports.push_back(std::move(p));
  }
  if (in.ok() && (h.name.empty() || h.ns.empty())) in.fail("", "hello needs a name and a namespace");
}

Message::Type type_of(const std::string& name) {
  if (name == "hello") return Message::Type::kHello;
  if (name == "snapshot") return Message::Type::kSnapshot;
  if (name == "ack") return Message::Type::kAck;
  if (name == "nack") return Message::Type::kNack;
  return Message::Type::kInvalid;
}

}  // namespace

std::string encode_hello(const Hello& hello) {
  return hello_json(hello).dump();
}

std::string snapshot_head(uint64_t version) {
  return "{\"type\":\"snapshot\",\"version\":" + std::to_string(version) + ",\"config\":";
}

std::string encode_snapshot(uint64_t version, std::string_view config_json) {
  std::string out = snapshot_head(version);
  out.append(config_json);
  out.append(kSnapshotTail);
  return out;
}

std::string encode_ack(uint64_t version) {
  return Json{{"type", "ack"}, {"version", version}}.dump();
}

std::string encode_nack(uint64_t version, std::string_view error) {
  return Json{{"type", "nack"}, {"version", version}, {"error", std::string(error)}}
      .dump(-1, ' ', false, Json::error_handler_t::replace);
}

Message decode_message(std::string_view payload) {
  Message m;
  Json j = Json::parse(payload.begin(), payload.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    m.error = "not a JSON object";
    return m;
  }
  JsonIn in;
  std::string type;
  in.get(j, "type", type);
  in.get(j, "version", m.version);
  m.type = type_of(type);
  if (m.type == Message::Type::kHello) read_hello(in, j, m.hello);
  if (m.type == Message::Type::kNack) in.get(j, "error", m.error);
  if (m.type == Message::Type::kSnapshot && in.ok()) {
    const Json* config = in.object(j, "config");
    if (config) m.config = decode_config_node(*config, m.config_error);
    if (!config && in.ok()) m.config_error = "snapshot without config";
  }
  if (!in.ok() || m.type == Message::Type::kInvalid) {
    m.error = in.ok() ? "unknown message type \"" + type + "\"" : in.error();
    m.type = Message::Type::kInvalid;
  }
  return m;
}

bool FrameReader::next(std::string& payload) {
  if (failed_) return false;
  size_t available = buffer_.size() - consumed_;
  if (available < 4) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + consumed_);
  size_t length = (size_t{p[0]} << 24) | (size_t{p[1]} << 16) | (size_t{p[2]} << 8) | p[3];
  if (length > kMaxFrame) {
    failed_ = true;
    return false;
  }
  if (available < 4 + length) return false;
  payload.assign(buffer_, consumed_ + 4, length);
  consumed_ += 4 + length;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ > (1u << 20)) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  return true;
}

std::string frame_header(size_t n) {
  std::string out(4, '\0');
  out[0] = static_cast<char>((n >> 24) & 0xff);
  out[1] = static_cast<char>((n >> 16) & 0xff);
  out[2] = static_cast<char>((n >> 8) & 0xff);
  out[3] = static_cast<char>(n & 0xff);
  return out;
}

std::string frame(std::string_view payload) {
  std::string out = frame_header(payload.size());
  out.append(payload);
  return out;
}

}  // namespace mesh::xds
