#include "core/xds/json_in.h"

#include <limits>

#include "core/model/decode.h"

namespace mesh::xds {

void JsonIn::fail(const std::string& field, const std::string& message) {
  if (!error_.empty()) return;
  std::string where = path_;
  if (!field.empty()) where += (where.empty() ? "" : ".") + field;
  error_ = (where.empty() ? "" : where + ": ") + message;
}

const Json* JsonIn::member(const Json& obj, const char* key) {
  if (!ok()) return nullptr;
  if (!obj.is_object()) {
    fail("", "expected an object");
    return nullptr;
  }
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

const Json* JsonIn::object(const Json& obj, const char* key) {
  const Json* v = member(obj, key);
  if (v && !v->is_object()) fail(key, "expected an object");
  return ok() ? v : nullptr;
}

const Json* JsonIn::array(const Json& obj, const char* key) {
  const Json* v = member(obj, key);
  if (v && !v->is_array()) fail(key, "expected a list");
  return ok() ? v : nullptr;
}

void JsonIn::get(const Json& obj, const char* key, std::string& out) {
  const Json* v = member(obj, key);
  if (!v) return;
  if (!v->is_string()) return fail(key, "expected a string");
  out = v->get_ref<const std::string&>();
}

void JsonIn::get(const Json& obj, const char* key, bool& out) {
  const Json* v = member(obj, key);
  if (!v) return;
  if (!v->is_boolean()) return fail(key, "expected true or false");
  out = v->get<bool>();
}

void JsonIn::get(const Json& obj, const char* key, double& out) {
  const Json* v = member(obj, key);
  if (!v) return;
  if (!v->is_number()) return fail(key, "expected a number");
  out = v->get<double>();
}

void JsonIn::get(const Json& obj, const char* key, uint64_t& out) {
  const Json* v = member(obj, key);
  if (!v) return;
  if (!v->is_number_unsigned()) return fail(key, "expected a non-negative integer");
  out = v->get<uint64_t>();
}

void JsonIn::get(const Json& obj, const char* key, uint32_t& out) {
  uint64_t wide = out;
  get(obj, key, wide);
  if (wide > std::numeric_limits<uint32_t>::max()) return fail(key, "out of range");
  out = static_cast<uint32_t>(wide);
}

void JsonIn::get(const Json& obj, const char* key, int& out) {
  const Json* v = member(obj, key);
  if (!v) return;
  if (!v->is_number_integer()) return fail(key, "expected an integer");
  int64_t wide = v->get<int64_t>();
  if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max())
    return fail(key, "out of range");
  out = static_cast<int>(wide);
}

void JsonIn::get(const Json& obj, const char* key, std::optional<bool>& out) {
  if (!member(obj, key)) return;
  bool value = false;
  get(obj, key, value);
  out = value;
}

void JsonIn::get(const Json& obj, const char* key, std::optional<int32_t>& out) {
  if (!member(obj, key)) return;
  int value = 0;
  get(obj, key, value);
  out = value;
}

void JsonIn::get(const Json& obj, const char* key, std::optional<uint32_t>& out) {
  if (!member(obj, key)) return;
  uint32_t value = 0;
  get(obj, key, value);
  out = value;
}

void JsonIn::get(const Json& obj, const char* key, std::optional<model::Duration>& out) {
  std::string text;
  get(obj, key, text);
  if (!ok() || text.empty()) return;
  model::Duration d{};
  if (!model::parse_duration(text, d)) return fail(key, "not a duration: \"" + text + "\"");
  out = d;
}

void JsonIn::get(const Json& obj, const char* key, std::vector<std::string>& out) {
  const Json* v = array(obj, key);
  if (!v) return;
  out.clear();
  for (const Json& item : *v) {
    if (!item.is_string()) return fail(key, "expected a list of strings");
    out.push_back(item.get_ref<const std::string&>());
  }
}

void JsonIn::get(const Json& obj, const char* key, std::vector<uint32_t>& out) {
  const Json* v = array(obj, key);
  if (!v) return;
  out.clear();
  for (const Json& item : *v) {
    if (!item.is_number_unsigned() || item.get<uint64_t>() > std::numeric_limits<uint32_t>::max())
      return fail(key, "expected a list of non-negative integers");
    out.push_back(item.get<uint32_t>());
  }
}

void JsonIn::get(const Json& obj, const char* key, std::map<std::string, std::string>& out) {
  const Json* v = object(obj, key);
  if (!v) return;
  out.clear();
  for (const auto& [k, item] : v->items()) {
    if (!item.is_string()) return fail(key, "expected string values");
    out[k] = item.get_ref<const std::string&>();
  }
}

}  // namespace mesh::xds
