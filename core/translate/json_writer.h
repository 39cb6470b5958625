// A streaming JSON writer whose output is byte-identical to nlohmann::json's
// dump(indent) (indent < 0: compact). The ProxyConfig dump is written straight
// into one string with it: building an nlohmann tree first cost more than the
// translation itself for a large mesh.
#pragma once

#include <concepts>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mesh::translate::detail {

class JsonWriter {
 public:
  JsonWriter(std::string& out, int indent) : out_(out), indent_(indent) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  // The next value belongs to `name`.
  void key(std::string_view name);

  void value(std::string_view s);
  void value(const char* s) { value(std::string_view(s)); }
  void value(bool b);
  void value(std::nullptr_t);
  void value(double d);
  template <std::integral T>
  requires(!std::same_as<T, bool>) void value(T n) {
    element();
    out_ += std::to_string(n);
  }
  void value(const std::vector<std::string>& list);
  void value(const std::map<std::string, std::string>& map);
  template <std::integral T>
  void value(const std::vector<T>& list) {
    begin_array();
    for (T n : list) value(n);
    end_array();
  }

  // key + value in one call.
  template <class T>
  void field(std::string_view name, const T& v) {
    key(name);
    value(v);
  }

 private:
  struct Level {
    bool empty = true;
  };
  void open(char bracket);
  void close(char bracket);
  void element();  // separator and indentation before a value (not after a key)
  void newline(size_t depth);
  void string(std::string_view s);

  std::string& out_;
  int indent_;
  std::vector<Level> levels_;
  bool after_key_ = false;
};

}  // namespace mesh::translate::detail
