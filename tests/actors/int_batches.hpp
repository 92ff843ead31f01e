// Helpers of the routing and output-gate tests: batches and vectors of consecutive integers.
#pragma once

#include <cstdint>
#include <numeric>
#include <vector>

#include "sluice/batch.hpp"

namespace sluice::test {

/// A batch of `n` consecutive integers from `from`.
inline batch<int64_t> seq(int64_t from, int64_t n) {
  batch<int64_t> b;
  for (int64_t i = 0; i < n; ++i)
    b.items.push_back(from + i);
  return b;
}

/// `n` consecutive integers from `from`.
inline std::vector<int64_t> range(int64_t from, int64_t n) {
  std::vector<int64_t> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), from);
  return v;
}

}  // namespace sluice::test
