#include "core/model/yaml_tree.h"

namespace mesh::yaml {
namespace {

const std::string kEmpty;

}  // namespace

const std::string& Node::scalar() const { return is_scalar() ? data_->text : kEmpty; }

size_t Node::size() const {
  switch (kind()) {
    case Kind::kSequence: return data_->children.size();
    case Kind::kMap: return data_->children.size() / 2;
    default: return 0;
  }
}

Node Node::operator[](size_t index) const {
  if (!is_sequence() || index >= data_->children.size()) return Node();
  return Node(data_->children[index]);
}

Node Node::operator[](std::string_view key) const {
  if (!is_map()) return Node();
  const auto& c = data_->children;
  for (size_t i = 0; i + 1 < c.size(); i += 2) {
    if (c[i]->kind == Kind::kScalar && c[i]->text == key) return Node(c[i + 1]);
  }
  return Node();
}

model::Pos Node::pos() const {
  if (!data_ || data_->line == 0) return {};
  return model::Pos{data_->line, data_->column};
}

Node::MapIterator Node::begin() const {
  return MapIterator(is_map() ? data_->children.data() : nullptr);
}

Node::MapIterator Node::end() const {
  return MapIterator(is_map() ? data_->children.data() + data_->children.size() : nullptr);
}

NodeData& Document::add(Kind kind, int32_t line, int32_t column) {
  NodeData& n = nodes_.emplace_back();
  n.kind = kind;
  n.line = line;
  n.column = column;
  return n;
}

std::string_view type_name(Node node) {
  switch (node.kind()) {
    case Kind::kMap: return "a map";
    case Kind::kSequence: return "a list";
    case Kind::kScalar: return "a scalar";
    case Kind::kNull: return "null";
    default: return "nothing";
  }
}

std::string dump_tree(Node n) {
  const model::Pos p = n.pos();
  std::string out = std::to_string(static_cast<int>(n.kind())) + "@" + std::to_string(p.line) + ":" +
                    std::to_string(p.col);
  if (n.is_scalar()) out += "'" + n.scalar() + "'";
  if (n.is_sequence()) {
    out += "[";
    for (size_t i = 0; i < n.size(); ++i) out += dump_tree(n[i]) + ",";
    out += "]";
  }
  if (n.is_map()) {
    out += "{";
    for (auto it = n.begin(); it != n.end(); ++it) out += dump_tree(it->first) + ":" + dump_tree(it->second) + ",";
    out += "}";
  }
  return out;
}

}  // namespace mesh::yaml
