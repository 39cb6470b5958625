// Hashing and randomness for the traffic policies: xxHash64 (the hash Envoy uses
// for ring hash, maglev and request hash keys, so the same key lands the same
// way people expect) and a small seeded generator each worker owns.
#pragma once

#include <cstdint>
#include <string_view>

namespace mesh::policy {

// xxHash64 of `data` with `seed`, per the published XXH64 specification.
uint64_t xxhash64(std::string_view data, uint64_t seed = 0);

// A fast, seedable generator (splitmix64). Deterministic for a seed, so tests
// can check distributions exactly; workers seed it from the clock/pid.
class Random {
 public:
  explicit Random(uint64_t seed = 0x9e3779b97f4a7c15ULL) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n == 0 gives 0. Multiply-shift keeps the bias negligible.
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  // True with probability percent/100 (percent clamped to [0, 100]); the
  // resolution is one in a million, as Envoy's FractionalPercent.
  bool chance(double percent) {
    if (percent <= 0) return false;
    if (percent >= 100) return true;
    return static_cast<double>(below(1000000)) < percent * 10000.0;
  }

 private:
  uint64_t state_;
};

}  // namespace mesh::policy
