// A parsed YAML document as the decoders read it: a read-only tree of maps,
// lists, scalars and nulls, each node with its position in the text.
//
// Parsing goes two ways (yaml_parse.cc): a fast reader for the block and
// one-line flow YAML that Kubernetes and Istio manifests are written in, and
// yaml-cpp for everything else (anchors, tags, multi-line scalars, JSON over
// many lines, and every error message). Both give the same tree, so decoders
// never know which one ran.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/api_common.h"

namespace mesh::yaml {

enum class Kind : uint8_t { kMissing, kNull, kScalar, kSequence, kMap };

struct NodeData {
  Kind kind = Kind::kMissing;
  int32_t line = 0;    // 1-based; 0 when unknown
  int32_t column = 0;  // 1-based
  std::string text;    // scalars
  // Lists: the items. Maps: key, value, key, value, ... in the order written.
  std::vector<const NodeData*> children;
};

struct MapEntry;

// A handle on a node of a Document; valid while the Document lives. A default
// Node, or a lookup that finds nothing, is "missing": false in a condition.
class Node {
 public:
  Node() = default;
  explicit Node(const NodeData* data) : data_(data) {}

  Kind kind() const { return data_ ? data_->kind : Kind::kMissing; }
  bool is_defined() const { return kind() != Kind::kMissing; }
  explicit operator bool() const { return is_defined(); }
  // Missing nodes count as null: both mean "not given".
  bool is_null() const { return kind() == Kind::kNull || kind() == Kind::kMissing; }
  bool is_scalar() const { return kind() == Kind::kScalar; }
  bool is_sequence() const { return kind() == Kind::kSequence; }
  bool is_map() const { return kind() == Kind::kMap; }

  // The text of a scalar; "" for anything else.
  const std::string& scalar() const;
  // Items of a list, entries of a map, 0 otherwise.
  size_t size() const;
  // The i-th item of a list; missing when out of range or not a list.
  Node operator[](size_t index) const;
  Node operator[](int index) const { return (*this)[static_cast<size_t>(index)]; }
  // The value of the first entry whose key is the scalar `key`; missing if none.
  Node operator[](std::string_view key) const;
  Node operator[](const char* key) const { return (*this)[std::string_view(key)]; }
  Node operator[](const std::string& key) const { return (*this)[std::string_view(key)]; }
  // 1-based position in the parsed text; {0, 0} when unknown.
  model::Pos pos() const;

  class MapIterator;
  // Map entries in order ({first: key, second: value}); empty for non-maps.
  MapIterator begin() const;
  MapIterator end() const;

  const NodeData* data() const { return data_; }

 private:
  const NodeData* data_ = nullptr;
};

struct MapEntry {
  Node first;
  Node second;
};

class Node::MapIterator {
 public:
  explicit MapIterator(const NodeData* const* at) : at_(at) {}
  MapEntry operator*() const { return MapEntry{Node(at_[0]), Node(at_[1])}; }
  // Returns a proxy so that `it->first` works like a map iterator's.
  struct Arrow {
    MapEntry entry;
    const MapEntry* operator->() const { return &entry; }
  };
  Arrow operator->() const { return Arrow{**this}; }
  MapIterator& operator++() {
    at_ += 2;
    return *this;
  }
  bool operator==(const MapIterator& other) const { return at_ == other.at_; }
  bool operator!=(const MapIterator& other) const { return at_ != other.at_; }

 private:
  const NodeData* const* at_;
};

// Owns the nodes of one parsed document.
class Document {
 public:
  Document() = default;
  Document(Document&&) = default;
  Document& operator=(Document&&) = default;
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  Node root() const { return Node(root_); }
  size_t node_count() const { return nodes_.size(); }

  // For parsers: a new node (stable address) and the root.
  NodeData& add(Kind kind, int32_t line, int32_t column);
  void set_root(const NodeData* root) { root_ = root; }

 private:
  std::deque<NodeData> nodes_;
  const NodeData* root_ = nullptr;
};

// "a map", "a list", "a scalar", "null" or "nothing", for messages.
std::string_view type_name(Node node);

// Kind, position and text of every node, nested, on one line: for comparing
// trees in tests and the fuzzer.
std::string dump_tree(Node node);

}  // namespace mesh::yaml
