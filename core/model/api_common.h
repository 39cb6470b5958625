// Types shared by every API object: source positions, metadata, and the small
// value types Istio's protos use everywhere (string matches, durations, percents).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mesh::model {

// A position in a source file, 1-based. line == 0 means "unknown".
struct Pos {
  int line = 0;
  int col = 0;
};

using Labels = std::map<std::string, std::string>;
using Duration = std::chrono::nanoseconds;

// metadata of every object, plus where it came from.
struct Meta {
  std::string api_version;  // e.g. "networking.istio.io/v1beta1"
  std::string kind;         // e.g. "VirtualService"
  std::string name;
  std::string ns;  // "" until defaulted by the loader (to "default")
  Labels labels;
  Labels annotations;
  std::shared_ptr<const std::string> file;  // shared by all objects of a file
  Pos pos;                                  // position of the document
};

// Istio's StringMatch: exactly one of exact/prefix/regex. kind == kNone is
// the empty match `{}`, which in a header map means "header present".
struct StringMatch {
  enum class Kind { kNone, kExact, kPrefix, kRegex };
  Kind kind = Kind::kNone;
  std::string value;
  Pos pos;
};

// A label selector as in Istio's WorkloadSelector / Kubernetes matchLabels.
struct WorkloadSelector {
  Labels match_labels;
};

// Istio's PortSelector.
struct PortSelector {
  uint32_t number = 0;
};

}  // namespace mesh::model
