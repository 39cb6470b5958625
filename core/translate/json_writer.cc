#include "core/translate/json_writer.h"

#include <nlohmann/json.hpp>

namespace mesh::translate::detail {

void JsonWriter::newline(size_t depth) {
  if (indent_ < 0) return;
  out_ += '\n';
  out_.append(depth * static_cast<size_t>(indent_), ' ');
}

void JsonWriter::element() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (levels_.empty()) return;
  if (!levels_.back().empty) out_ += ',';
  levels_.back().empty = false;
  newline(levels_.size());
}

void JsonWriter::key(std::string_view name) {
  element();
  string(name);
  out_ += indent_ < 0 ? ":" : ": ";
  after_key_ = true;
}

void JsonWriter::open(char bracket) {
  element();
  out_ += bracket;
  levels_.push_back(Level{});
}

void JsonWriter::close(char bracket) {
  const bool empty = levels_.back().empty;
  levels_.pop_back();
  if (!empty) newline(levels_.size());
  out_ += bracket;
}

void JsonWriter::value(std::string_view s) {
  element();
  string(s);
}

void JsonWriter::value(bool b) {
  element();
  out_ += b ? "true" : "false";
}

void JsonWriter::value(std::nullptr_t) {
  element();
  out_ += "null";
}

void JsonWriter::value(double d) {
  element();
  out_ += nlohmann::json(d).dump();  // rare; nlohmann's shortest round-trip form
}

void JsonWriter::value(const std::vector<std::string>& list) {
  begin_array();
  for (const std::string& s : list) value(s);
  end_array();
}

void JsonWriter::value(const std::map<std::string, std::string>& map) {
  begin_object();
  for (const auto& [k, v] : map) field(k, v);
  end_object();
}

// Escapes as nlohmann does with ensure_ascii off: the short forms, \u00xx for
// other control characters, every other byte as is.
void JsonWriter::string(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out_ += '"';
  size_t plain_from = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out_.append(s.data() + plain_from, i - plain_from);
    plain_from = i + 1;
    switch (c) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\b':
        out_ += "\\b";
        break;
      case '\f':
        out_ += "\\f";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\r':
        out_ += "\\r";
        break;
      case '\t':
        out_ += "\\t";
        break;
      default:
        out_ += "\\u00";
        out_ += kHex[c >> 4];
        out_ += kHex[c & 15];
    }
  }
  out_.append(s.data() + plain_from, s.size() - plain_from);
  out_ += '"';
}

}  // namespace mesh::translate::detail
