// Plain-text tables as istioctl prints them: columns padded to their widest cell
// plus three spaces, trailing blanks trimmed.
#pragma once

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>
#include <vector>

namespace mesh::cmd {

template <size_t N>
void print_table(const std::vector<std::array<std::string, N>>& rows) {
  std::array<size_t, N> width{};
  for (const auto& row : rows) {
    for (size_t i = 0; i < N; ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < N; ++i) {
      line += row[i];
      if (i + 1 < N) line += std::string(width[i] - row[i].size() + 3, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  }
}

}  // namespace mesh::cmd
