// Reading JSON into typed values without exceptions: every accessor checks the
// type, and the first problem is kept with the path of the field that caused it
// ("routeTables[0].virtualHosts[1].routes[0].matches[0].uri.value: expected a string").
// A missing field or null keeps the default, so older peers may omit new fields.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model/api_common.h"

namespace mesh::xds {

using Json = nlohmann::json;

class JsonIn {
 public:
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  void fail(const std::string& field, const std::string& message);

  // The member `key` of `obj` when it is an object / array; nullptr when absent or null.
  const Json* object(const Json& obj, const char* key);
  const Json* array(const Json& obj, const char* key);

  void get(const Json& obj, const char* key, std::string& out);
  void get(const Json& obj, const char* key, bool& out);
  void get(const Json& obj, const char* key, double& out);
  void get(const Json& obj, const char* key, uint32_t& out);
  void get(const Json& obj, const char* key, uint64_t& out);
  void get(const Json& obj, const char* key, int& out);
  void get(const Json& obj, const char* key, std::optional<bool>& out);
  void get(const Json& obj, const char* key, std::optional<int32_t>& out);
  void get(const Json& obj, const char* key, std::optional<uint32_t>& out);
  void get(const Json& obj, const char* key, std::optional<model::Duration>& out);
  void get(const Json& obj, const char* key, std::vector<std::string>& out);
  void get(const Json& obj, const char* key, std::vector<uint32_t>& out);
  void get(const Json& obj, const char* key, std::map<std::string, std::string>& out);

  // Maps a string field through `names` (index = enum value); unknown names fail.
  template <class E, size_t N>
  void get_enum(const Json& obj, const char* key, const char* const (&names)[N], E& out) {
    std::string text;
    get(obj, key, text);
    if (!ok() || !obj.contains(key) || obj[key].is_null()) return;
    for (size_t i = 0; i < N; ++i) {
      if (text == names[i]) {
        out = static_cast<E>(i);
        return;
      }
    }
    fail(key, "unknown value \"" + text + "\"");
  }

  // Scopes the path of errors: `auto s = in.enter("routes", i);` ... destructor pops.
  class Scope {
   public:
    Scope(JsonIn& in, std::string part) : in_(in), saved_(in.path_.size()) { in.path_ += part; }
    ~Scope() { in_.path_.resize(saved_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    JsonIn& in_;
    size_t saved_;
  };
  [[nodiscard]] Scope enter(const char* key) { return Scope(*this, (path_.empty() ? "" : ".") + std::string(key)); }
  [[nodiscard]] Scope enter(const char* key, size_t index) {
    return Scope(*this, (path_.empty() ? "" : ".") + std::string(key) + "[" + std::to_string(index) + "]");
  }

 private:
  const Json* member(const Json& obj, const char* key);
  std::string path_;
  std::string error_;
};

}  // namespace mesh::xds
