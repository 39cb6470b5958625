#include "core/model/yaml_parse.h"

namespace mesh::yaml {
namespace {

void copy_node(const YAML::Node& from, Document& doc, NodeData& to, size_t& budget, int depth) {
  if (budget == 0 || depth > 2000) {
    throw YAML::Exception(from.Mark(), "document too large once its aliases are expanded");
  }
  --budget;
  for (auto it = from.begin(); it != from.end(); ++it) {
    if (from.IsSequence()) {
      const YAML::Node item = *it;
      const YAML::Mark m = item.Mark();
      NodeData& child = doc.add(Kind::kNull, m.is_null() ? 0 : m.line + 1, m.column + 1);
      copy_node(item, doc, child, budget, depth + 1);
      to.children.push_back(&child);
    } else {
      for (const YAML::Node& part : {it->first, it->second}) {
        const YAML::Mark m = part.Mark();
        NodeData& child = doc.add(Kind::kNull, m.is_null() ? 0 : m.line + 1, m.column + 1);
        copy_node(part, doc, child, budget, depth + 1);
        to.children.push_back(&child);
      }
    }
  }
  switch (from.Type()) {
    case YAML::NodeType::Map: to.kind = Kind::kMap; break;
    case YAML::NodeType::Sequence: to.kind = Kind::kSequence; break;
    case YAML::NodeType::Scalar:
      to.kind = Kind::kScalar;
      to.text = from.Scalar();
      break;
    case YAML::NodeType::Null: to.kind = Kind::kNull; break;
    default: to.kind = Kind::kMissing; break;
  }
}

// True if `line` starts a new YAML document ("---" or "..." at column 0).
bool is_document_marker(std::string_view line) {
  if (line.starts_with("---")) return line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r';
  return line == "..." || line == "...\r";
}

}  // namespace

std::vector<DocumentText> split_documents(std::string_view text) {
  std::vector<DocumentText> out;
  int line_no = 0, chunk_start = 0;
  size_t begin = 0, chunk_begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    if (is_document_marker(text.substr(begin, end - begin)) && begin > chunk_begin) {
      out.push_back({text.substr(chunk_begin, begin - chunk_begin), chunk_start});
      chunk_begin = begin;
      chunk_start = line_no;
    }
    ++line_no;
    begin = end + 1;
  }
  if (chunk_begin < text.size()) out.push_back({text.substr(chunk_begin), chunk_start});
  return out;
}

Document from_yaml_cpp(const YAML::Node& root, size_t max_nodes) {
  Document doc;
  if (!root.IsDefined() || root.IsNull()) return doc;  // an empty document has no root
  const YAML::Mark m = root.Mark();
  NodeData& top = doc.add(Kind::kNull, m.is_null() ? 0 : m.line + 1, m.column + 1);
  size_t budget = max_nodes;
  copy_node(root, doc, top, budget, 0);
  doc.set_root(&top);
  return doc;
}

Document parse(std::string_view text) {
  Document doc;
  if (parse_fast(text, doc)) return doc;
  // A parsed tree is a few dozen times its text; more than this means aliases.
  const size_t max_nodes = 64 * text.size() + 1024;
  return from_yaml_cpp(YAML::Load(std::string(text)), max_nodes);
}

}  // namespace mesh::yaml
