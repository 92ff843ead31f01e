// Helpers shared by the connector tests: the lines a reader should see, an emitter that records
// what a source or operator emits, and a subtask's context; plus the shared scratch directory,
// file helpers and deterministic random generator of tests/fakes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/operator.hpp"
#include "tests/fakes/rng.hpp"
#include "tests/fakes/temp_dir.hpp"

namespace sluice {

inline std::ostream& operator<<(std::ostream& os, poll_status s) {
  switch (s) {
    case poll_status::more: return os << "more";
    case poll_status::idle: return os << "idle";
    case poll_status::finished: return os << "finished";
  }
  return os << "poll_status(" << static_cast<int>(s) << ")";
}

}  // namespace sluice

namespace sluice::test {

/// The lines a reader of `bytes` should see: split at '\n', one trailing '\r' dropped per line,
/// an unterminated non-empty rest is the last line. Written independently of line_splitter.
inline std::vector<std::string> expected_lines(std::string_view bytes) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\n') {
      std::string line(bytes.substr(start, i - start));
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      lines.push_back(std::move(line));
      start = i + 1;
    }
  }
  if (start < bytes.size()) {
    std::string line(bytes.substr(start));
    if (line.back() == '\r')
      line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

/// Records every batch of type T and every epoch mark it is handed.
template <class T>
class recording_emitter final : public emitter {
 public:
  void emit(batch_ptr b) override {
    if (!b)
      return;
    ++batches;
    largest_batch = std::max(largest_batch, b->size());
    auto& items = as_batch<T>(*b).items;
    records.insert(records.end(), items.begin(), items.end());
  }
  void end_epoch(uint64_t epoch) override { epochs.push_back(epoch); }

  std::vector<T> records;
  std::vector<uint64_t> epochs;
  std::size_t batches = 0;
  std::size_t largest_batch = 0;
};

inline task_context subtask_context(uint32_t subtask, uint32_t parallelism) {
  task_context ctx;
  ctx.uid = "under_test";
  ctx.subtask = subtask;
  ctx.parallelism = parallelism;
  return ctx;
}

}  // namespace sluice::test
