#include "cmd/routes_live.h"

#include <cctype>

#include "cmd/http_get.h"
#include "core/xds/config_codec.h"

namespace mesh::cmd {
namespace {

std::string url_encode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::shared_ptr<const pc::ProxyConfig> fetch(const std::string& address, const std::string& path,
                                             std::string& error) {
  std::string body;
  const int status = http_get(address, path, body);
  if (status != 200) {
    error = status == 0 ? body : address + " answered " + std::to_string(status) + ": " + body;
    while (!error.empty() && error.back() == '\n') error.pop_back();
    return nullptr;
  }
  std::string decode_error;
  auto config = xds::decode_config(body, decode_error);
  if (!config) error = "cannot read the config from " + address + ": " + decode_error;
  return config;
}

}  // namespace

std::shared_ptr<const pc::ProxyConfig> fetch_from_control(const std::string& control, const std::string& name,
                                                          std::string& error) {
  return fetch(control, "/debug/config_dump?proxy=" + url_encode(name), error);
}

std::shared_ptr<const pc::ProxyConfig> fetch_from_proxy(const std::string& admin, std::string& error) {
  return fetch(admin, "/config_dump", error);
}

}  // namespace mesh::cmd
