// The fast YAML reader: block maps and lists, one-line plain and quoted
// scalars, and one-line flow collections, which is how Kubernetes and Istio
// manifests are written. It reads a line at a time, never backtracks, and
// gives up (returns false) on anything else, so yaml-cpp stays the reference
// for the rest of YAML and for every error message. Positions match
// yaml-cpp's marks: a collection is where its first key, dash or bracket is; a
// null left by an empty value is where the next token starts.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/yaml_parse.h"

namespace mesh::yaml {
namespace {

constexpr int kMaxFlowDepth = 64;
constexpr int kMaxBlockDepth = 256;
constexpr size_t kMaxKeyLength = 1000;

bool is_null_text(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// True if every byte is printable ASCII, '\n', or part of valid UTF-8 (no CR,
// tab, other control characters, BOM or overlong forms: yaml-cpp treats those
// in ways this reader does not copy).
bool plain_text(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      if ((c < 0x20 && c != '\n') || c == 0x7f) return false;
      ++p;
      continue;
    }
    int extra = 0;
    uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) extra = 1, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0) extra = 2, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0) extra = 3, cp = c & 0x07;
    else return false;
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfeff) return false;
    // C1 controls and other non-printables are escaped or refused by yaml-cpp.
    if (cp >= 0x80 && cp <= 0x9f) return false;
    p += extra + 1;
  }
  return true;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class FastReader {
 public:
  FastReader(std::string_view text, Document& doc) : text_(text), doc_(doc) {}

  bool read();

 private:
  struct Line {
    std::string_view s;
    size_t indent = 0;
    bool content = false;  // not blank and not only a comment
  };

  // --- lines
  void split_lines();
  size_t next_content(size_t li) const;
  // True if s[col] is a comment start or the end of the line (spaces skipped).
  static bool rest_is_empty(std::string_view s, size_t col);
  static size_t skip_spaces(std::string_view s, size_t col);
  static bool is_dash_entry(std::string_view s, size_t col);
  // Where yaml-cpp marks the token after an empty value in the block
  // collection at `owner_col` (a list if `owner_is_list`): the next content,
  // or a place at the end of the input.
  void next_token_pos(size_t li, size_t owner_col, bool owner_is_list, int32_t& line, int32_t& column) const;

  // --- block structure; each sets next_ to the first content line after the node
  const NodeData* block_node(size_t li, size_t col, int depth);
  const NodeData* block_sequence(size_t li, size_t col, int depth);
  // `key` (ending at `after`) is the first key, already scanned at (li, col).
  const NodeData* block_map(size_t li, size_t col, int depth, const NodeData* key, size_t after);
  // The value after "key:" (owner is a map) or "- " (owner is a list) that
  // continues on the following lines.
  const NodeData* value_below(size_t li, size_t owner_col, bool owner_is_list, int depth);
  // A scalar or flow collection that must end its line.
  const NodeData* inline_value(size_t li, size_t col);

  enum class KeyScan { kKey, kNotKey, kGiveUp };
  KeyScan scan_key(size_t li, size_t col, const NodeData*& key, size_t& after_colon);

  // --- scalars and flow
  NodeData* scalar(size_t li, size_t col, std::string text, bool plain);
  bool quoted(std::string_view s, size_t& j, std::string& out) const;
  bool plain_start(std::string_view s, size_t j, bool flow) const;
  const NodeData* flow_node(size_t li, size_t& j, int depth);
  const NodeData* flow_scalar(size_t li, size_t& j);

  std::string_view text_;
  Document& doc_;
  std::vector<Line> lines_;
  size_t next_ = 0;
};

void FastReader::split_lines() {
  size_t begin = 0;
  while (begin <= text_.size()) {
    size_t end = text_.find('\n', begin);
    if (end == std::string_view::npos) end = text_.size();
    Line line;
    line.s = text_.substr(begin, end - begin);
    line.indent = skip_spaces(line.s, 0);
    line.content = line.indent < line.s.size() && line.s[line.indent] != '#';
    lines_.push_back(line);
    begin = end + 1;
  }
}

size_t FastReader::next_content(size_t li) const {
  while (li < lines_.size() && !lines_[li].content) ++li;
  return li;
}

size_t FastReader::skip_spaces(std::string_view s, size_t col) {
  while (col < s.size() && s[col] == ' ') ++col;
  return col;
}

bool FastReader::rest_is_empty(std::string_view s, size_t col) {
  col = skip_spaces(s, col);
  return col == s.size() || s[col] == '#';
}

bool FastReader::is_dash_entry(std::string_view s, size_t col) {
  return col < s.size() && s[col] == '-' && (col + 1 == s.size() || s[col + 1] == ' ');
}

void FastReader::next_token_pos(size_t li, size_t owner_col, bool owner_is_list, int32_t& line,
                                int32_t& column) const {
  li = next_content(li);
  if (li < lines_.size()) {
    line = static_cast<int32_t>(li + 1);
    column = static_cast<int32_t>(lines_[li].indent + 1);
    return;
  }
  // At the end yaml-cpp closes the collections indented past the end of the
  // last line there (a list also at that column), then the rest at column 1;
  // the first one closed is the owner.
  const size_t end = lines_.back().s.size();
  const bool closed_at_end = owner_col > end || (owner_is_list && owner_col == end);
  line = static_cast<int32_t>(lines_.size());
  column = closed_at_end ? static_cast<int32_t>(end + 1) : 1;
}

NodeData* FastReader::scalar(size_t li, size_t col, std::string text, bool plain) {
  const bool null = plain && is_null_text(text);
  NodeData& n = doc_.add(null ? Kind::kNull : Kind::kScalar, static_cast<int32_t>(li + 1),
                         static_cast<int32_t>(col + 1));
  if (!null) n.text = std::move(text);
  return &n;
}

bool FastReader::read() {
  if (!plain_text(text_)) return false;
  split_lines();
  size_t li = 0;
  // An opening "---" may stand alone (with a comment); anything after it is left to yaml-cpp.
  if (lines_[0].s.starts_with("---")) {
    if (!rest_is_empty(lines_[0].s, 3) || (lines_[0].s.size() > 3 && lines_[0].s[3] != ' ')) return false;
    li = 1;
  }
  for (size_t i = li; i < lines_.size(); ++i) {
    const std::string_view s = lines_[i].s;
    if (s.starts_with("---") || s.starts_with("...") || s.starts_with("%")) return false;
  }
  li = next_content(li);
  if (li == lines_.size()) return true;  // empty document: no root
  const NodeData* root = block_node(li, lines_[li].indent, 0);
  if (root == nullptr || next_ != lines_.size()) return false;
  if (root->kind == Kind::kNull) return true;  // yaml-cpp gives no root for a null document
  doc_.set_root(root);
  return true;
}

const NodeData* FastReader::block_node(size_t li, size_t col, int depth) {
  if (depth > kMaxBlockDepth) return nullptr;
  const std::string_view s = lines_[li].s;
  if (is_dash_entry(s, col)) return block_sequence(li, col, depth);
  const NodeData* key = nullptr;
  size_t after = 0;
  switch (scan_key(li, col, key, after)) {
    case KeyScan::kKey: return block_map(li, col, depth, key, after);
    case KeyScan::kGiveUp: return nullptr;
    case KeyScan::kNotKey: break;
  }
  const NodeData* value = inline_value(li, col);
  next_ = next_content(li + 1);
  return value;
}

const NodeData* FastReader::value_below(size_t li, size_t owner_col, bool owner_is_list, int depth) {
  const size_t below = next_content(li + 1);
  if (below < lines_.size()) {
    const size_t indent = lines_[below].indent;
    if (indent > owner_col) return block_node(below, indent, depth + 1);
    // A map's value may be a list at the key's own column.
    if (!owner_is_list && indent == owner_col && is_dash_entry(lines_[below].s, indent)) {
      return block_sequence(below, indent, depth + 1);
    }
  }
  int32_t line = 0, column = 0;
  next_token_pos(below, owner_col, owner_is_list, line, column);
  next_ = below;
  return &doc_.add(Kind::kNull, line, column);
}

const NodeData* FastReader::block_sequence(size_t li, size_t col, int depth) {
  NodeData& seq = doc_.add(Kind::kSequence, static_cast<int32_t>(li + 1), static_cast<int32_t>(col + 1));
  while (true) {
    const std::string_view s = lines_[li].s;
    const size_t item_col = skip_spaces(s, col + 1);
    const NodeData* item = rest_is_empty(s, item_col) ? value_below(li, col, true, depth)
                                                      : block_node(li, item_col, depth + 1);
    if (item == nullptr) return nullptr;
    seq.children.push_back(item);
    li = next_;
    if (li == lines_.size()) break;
    const size_t indent = lines_[li].indent;
    if (indent > col) return nullptr;
    if (indent < col || !is_dash_entry(lines_[li].s, col)) break;  // the owner goes on
  }
  return &seq;
}

const NodeData* FastReader::block_map(size_t li, size_t col, int depth, const NodeData* key, size_t after) {
  NodeData& map = doc_.add(Kind::kMap, static_cast<int32_t>(li + 1), static_cast<int32_t>(col + 1));
  while (true) {
    const std::string_view s = lines_[li].s;
    const size_t value_col = skip_spaces(s, after);
    const NodeData* value = nullptr;
    if (rest_is_empty(s, value_col)) {
      value = value_below(li, col, false, depth);
    } else {
      value = inline_value(li, value_col);
      next_ = next_content(li + 1);
    }
    if (value == nullptr) return nullptr;
    map.children.push_back(key);
    map.children.push_back(value);
    li = next_;
    if (li == lines_.size()) break;
    const size_t indent = lines_[li].indent;
    if (indent > col || (indent == col && is_dash_entry(lines_[li].s, col))) return nullptr;
    if (indent < col) break;
    if (scan_key(li, col, key, after) != KeyScan::kKey) return nullptr;
  }
  return &map;
}

FastReader::KeyScan FastReader::scan_key(size_t li, size_t col, const NodeData*& key, size_t& after_colon) {
  const std::string_view s = lines_[li].s;
  const char c = s[col];
  if (c == '[' || c == '{') return KeyScan::kNotKey;  // a flow value; "[a]: b" fails after it
  if (c == '"' || c == '\'') {
    size_t j = col;
    std::string text;
    if (!quoted(s, j, text)) return KeyScan::kGiveUp;
    j = skip_spaces(s, j);
    if (j < s.size() && s[j] == ':' && (j + 1 == s.size() || s[j + 1] == ' ')) {
      key = scalar(li, col, std::move(text), false);
      after_colon = j + 1;
      return KeyScan::kKey;
    }
    return KeyScan::kNotKey;
  }
  if (!plain_start(s, col, false)) return KeyScan::kGiveUp;
  for (size_t j = col; j < s.size(); ++j) {
    if (s[j] == '#' && s[j - 1] == ' ') return KeyScan::kNotKey;
    if (j - col > kMaxKeyLength) return KeyScan::kGiveUp;  // yaml-cpp's simple-key limit
    if (s[j] == ':' && (j + 1 == s.size() || s[j + 1] == ' ')) {
      size_t end = j;
      while (end > col && s[end - 1] == ' ') --end;
      key = scalar(li, col, std::string(s.substr(col, end - col)), true);
      after_colon = j + 1;
      return KeyScan::kKey;
    }
  }
  return KeyScan::kNotKey;
}

const NodeData* FastReader::inline_value(size_t li, size_t col) {
  const std::string_view s = lines_[li].s;
  const char c = s[col];
  size_t j = col;
  const NodeData* node = nullptr;
  if (c == '[' || c == '{') {
    node = flow_node(li, j, 0);
  } else if (c == '"' || c == '\'') {
    std::string text;
    if (quoted(s, j, text)) node = scalar(li, col, std::move(text), false);
  } else if (plain_start(s, col, false)) {
    // A plain scalar runs to a comment or the end of the line; ": " inside it
    // would be a second key on one line, which YAML forbids.
    for (; j < s.size(); ++j) {
      if (s[j] == '#' && s[j - 1] == ' ') break;
      if (s[j] == ':' && (j + 1 == s.size() || s[j + 1] == ' ')) return nullptr;
    }
    size_t end = j;
    while (end > col && s[end - 1] == ' ') --end;
    node = scalar(li, col, std::string(s.substr(col, end - col)), true);
  }
  if (node == nullptr) return nullptr;
  // What follows on the line may only be spaces and a comment (after a space).
  if (j < s.size() && s[j] != ' ' && !(s[j] == '#' && j > col && s[j - 1] == ' ')) return nullptr;
  if (!rest_is_empty(s, j)) return nullptr;
  return node;
}

bool FastReader::plain_start(std::string_view s, size_t j, bool flow) const {
  if (j >= s.size()) return false;
  const char c = s[j];
  if (std::string_view(",[]{}#&*!|>'\"%@`").find(c) != std::string_view::npos) return false;
  if (c == '-' || c == '?' || c == ':') {
    // Allowed only when followed by a character that cannot end the scalar.
    if (flow && c != '-') return false;
    if (j + 1 >= s.size() || s[j + 1] == ' ') return false;
    if (flow && std::string_view(",[]{}").find(s[j + 1]) != std::string_view::npos) return false;
  }
  return true;
}

bool FastReader::quoted(std::string_view s, size_t& j, std::string& out) const {
  const char q = s[j++];
  while (j < s.size()) {
    const char c = s[j];
    if (q == '\'') {
      if (c != '\'') {
        out += c;
        ++j;
      } else if (j + 1 < s.size() && s[j + 1] == '\'') {
        out += '\'';
        j += 2;
      } else {
        ++j;
        return true;
      }
      continue;
    }
    if (c == '"') {
      ++j;
      return true;
    }
    if (c != '\\') {
      out += c;
      ++j;
      continue;
    }
    if (j + 1 >= s.size()) return false;  // a line continuation: multi-line
    const char e = s[j + 1];
    j += 2;
    switch (e) {
      case '0': out += '\0'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'v': out += '\v'; break;
      case 'f': out += '\f'; break;
      case 'r': out += '\r'; break;
      case 'e': out += '\x1b'; break;
      case ' ': out += ' '; break;
      case '"': out += '"'; break;
      case '/': out += '/'; break;
      case '\\': out += '\\'; break;
      case 'x':
      case 'u':
      case 'U': {
        const size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (j + digits > s.size()) return false;
        uint32_t cp = 0;
        for (size_t i = 0; i < digits; ++i) {
          const int v = hex_value(s[j + i]);
          if (v < 0) return false;
          cp = cp * 16 + static_cast<uint32_t>(v);
        }
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        append_utf8(out, cp);
        j += digits;
        break;
      }
      default: return false;
    }
  }
  return false;  // not closed on this line
}

const NodeData* FastReader::flow_scalar(size_t li, size_t& j) {
  const std::string_view s = lines_[li].s;
  const size_t col = j;
  if (s[j] == '"' || s[j] == '\'') {
    std::string text;
    if (!quoted(s, j, text)) return nullptr;
    return scalar(li, col, std::move(text), false);
  }
  if (!plain_start(s, j, true)) return nullptr;
  for (; j < s.size(); ++j) {
    const char c = s[j];
    if (std::string_view(",[]{}?").find(c) != std::string_view::npos) break;
    if (c == '#' && s[j - 1] == ' ') return nullptr;  // a comment inside an open collection
    if (c == ':' && (j + 1 == s.size() || std::string_view(" ,[]{}").find(s[j + 1]) != std::string_view::npos)) {
      break;
    }
  }
  size_t end = j;
  while (end > col && s[end - 1] == ' ') --end;
  return scalar(li, col, std::string(s.substr(col, end - col)), true);
}

const NodeData* FastReader::flow_node(size_t li, size_t& j, int depth) {
  const std::string_view s = lines_[li].s;
  const char open = s[j];
  if (open != '[' && open != '{') return flow_scalar(li, j);
  if (depth > kMaxFlowDepth) return nullptr;
  const char close = open == '[' ? ']' : '}';
  NodeData& node = doc_.add(open == '[' ? Kind::kSequence : Kind::kMap, static_cast<int32_t>(li + 1),
                            static_cast<int32_t>(j + 1));
  j = skip_spaces(s, j + 1);
  if (j < s.size() && s[j] == close) {
    ++j;
    return &node;
  }
  while (j < s.size()) {
    if (open == '[') {
      const NodeData* item = flow_node(li, j, depth + 1);
      if (item == nullptr) return nullptr;
      node.children.push_back(item);
    } else {
      if (s[j] == '[' || s[j] == '{') return nullptr;  // a collection as a key
      const NodeData* key = flow_scalar(li, j);
      if (key == nullptr) return nullptr;
      j = skip_spaces(s, j);
      if (j + 1 >= s.size() || s[j] != ':' || s[j + 1] != ' ') return nullptr;
      j = skip_spaces(s, j + 1);
      if (j >= s.size() || s[j] == ',' || s[j] == '}') return nullptr;  // an empty value
      const NodeData* value = flow_node(li, j, depth + 1);
      if (value == nullptr) return nullptr;
      node.children.push_back(key);
      node.children.push_back(value);
    }
    j = skip_spaces(s, j);
    if (j >= s.size()) return nullptr;
    if (s[j] == close) {
      ++j;
      return &node;
    }
    if (s[j] != ',') return nullptr;
    j = skip_spaces(s, j + 1);
    if (j < s.size() && (s[j] == close || s[j] == ',')) return nullptr;  // trailing or empty entry
  }
  return nullptr;  // not closed on this line
}

}  // namespace

bool parse_fast(std::string_view text, Document& out) {
  Document doc;
  if (!FastReader(text, doc).read()) return false;
  out = std::move(doc);
  return true;
}

}  // namespace mesh::yaml
