// FNV-1a (64-bit): a small, stable hash for content hashes and deterministic
// choices (VIP allocation, pod template identity). Not for hash tables under
// attack and not cryptographic.
#pragma once

#include <cstdint>
#include <string_view>

namespace mesh::model {

inline constexpr uint64_t kFnvOffset = 1469598103934665603ull;

// `seed` continues a hash: fnv1a(b, fnv1a(a)) == fnv1a(a + b).
inline uint64_t fnv1a(std::string_view bytes, uint64_t seed = kFnvOffset) {
  uint64_t h = seed;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace mesh::model
