// Helpers of the tests that run whole jobs through the actor runtime: job options with small
// batches (so records cross many actor messages) and readable views of the collected rows.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sluice/sluice.hpp"

namespace sluice::test {

using count_row = std::pair<std::string, int64_t>;

/// Batches of 64 records, 4 credits, 2 ms linger, 2 threads.
inline job_options small_batches(uint32_t parallelism) {
  job_options o;
  o.parallelism = parallelism;
  o.batch_size = 64;
  o.credits = 4;
  o.linger_ms = 2;
  o.threads = 2;
  return o;
}

inline const std::string& identity(const std::string& s) { return s; }

/// "key=value" lines, sorted: comparable element by element with readable failures.
template <class Rows>
std::vector<std::string> lines(const Rows& rows) {
  std::vector<std::string> out;
  for (const auto& [k, v] : rows)
    out.push_back(k + "=" + std::to_string(v));
  std::sort(out.begin(), out.end());
  return out;
}

/// Values emitted per key, in the order the sink received them.
inline std::map<std::string, std::vector<int64_t>> by_key(const std::vector<count_row>& rows) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const auto& [k, v] : rows)
    out[k].push_back(v);
  return out;
}

}  // namespace sluice::test
