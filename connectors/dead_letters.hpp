// Dead letters: records an operator could not handle (a malformed line), written with the reason
// to part files "<uid>-S-N" in the job's dead-letter directory, as lines "REASON<TAB>RECORD".
// They follow the same commit discipline as the file sink (two-phase commit with checkpoints),
// so they appear exactly once per malformed record. Counted in the operator's metrics.
// One writer per operator subtask; not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "connectors/file_sink.hpp"

namespace sluice {

class dead_letter_writer {
 public:
  /// Opens lazily: nothing is created until the first dead letter.
  explicit dead_letter_writer(const task_context& ctx);

  void write(const std::string& reason, const std::string& record);
  uint64_t count() const { return count_; }

  /// Without checkpoints: make what was written visible.
  void flush();
  std::string precommit(uint64_t id);
  void commit_upto(uint64_t id);
  void restore(const std::string& state);

 private:
  part_file_writer& writer();
  std::string dir() const;

  task_context ctx_;
  std::optional<part_file_writer> writer_;
  std::string line_;
  uint64_t count_ = 0;
};

}  // namespace sluice
