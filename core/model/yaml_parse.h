// Parsing one YAML document into a yaml::Document (see yaml_tree.h).
#pragma once

#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/model/yaml_tree.h"

namespace mesh::yaml {

// One document of a multi-document text, from its "---" line (if any) to the
// next; `first_line` is the 0-based line of the text where it starts.
struct DocumentText {
  std::string_view text;
  int first_line = 0;
};

// Splits at "---" and "..." lines, so that one broken document cannot hide the
// others (and yaml-cpp 0.7's LoadAll, which can loop forever on some malformed
// input, is never needed).
std::vector<DocumentText> split_documents(std::string_view text);

// Parses the text of one document (it may start with a "---" line). Uses the
// fast reader when it can and yaml-cpp otherwise; throws YAML::Exception, with
// its mark, on invalid YAML exactly as YAML::Load does.
Document parse(std::string_view text);

// The fast reader alone. Returns false when the text uses anything it does not
// read (anchors, tags, block scalars, multi-line scalars or flow collections,
// tabs, CRs, invalid UTF-8, or any error): the caller then asks yaml-cpp, which
// gives the same tree or the error message.
bool parse_fast(std::string_view text, Document& out);

// A yaml-cpp tree as a Document. Aliases are copied, so a tree that would
// expand past `max_nodes` throws YAML::Exception instead.
Document from_yaml_cpp(const YAML::Node& root, size_t max_nodes);

}  // namespace mesh::yaml
