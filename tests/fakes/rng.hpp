// A deterministic random number generator for test data: splitmix64, the same numbers on every
// platform and standard library (std::mt19937 is, but its distributions are not).
#pragma once

#include <cstdint>
#include <cstdlib>

namespace sluice::test {

/// splitmix64. Not thread-safe.
class rng {
 public:
  explicit rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform enough in [0, n).
  uint64_t below(uint64_t n) { return next() % n; }
  /// Uniform enough in [lo, hi].
  uint64_t between(uint64_t lo, uint64_t hi) { return lo + next() % (hi - lo + 1); }
  bool chance(unsigned percent) { return next() % 100 < percent; }

 private:
  uint64_t s_;
};

/// SLUICE_FAULT_RUNS=N overrides the conclusive runs a random-fault test requires (a soak).
inline int required_runs(int fallback) {
  const char* v = std::getenv("SLUICE_FAULT_RUNS");
  return v && std::atoi(v) > 0 ? std::atoi(v) : fallback;
}

/// SLUICE_FAULT_SEED=S sets the first seed of the random-fault tests (default 1), to replay a
/// failure the test named.
inline uint64_t first_seed() {
  const char* v = std::getenv("SLUICE_FAULT_SEED");
  return v ? std::strtoull(v, nullptr, 10) : 1;
}

}  // namespace sluice::test
