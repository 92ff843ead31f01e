// The runs of one job that is killed and restarted: after each kill it notes the newest completed
// checkpoint; each restart must restore exactly that one (or start fresh when there was none).
// A sequence is conclusive when some restart restored a checkpoint that existed at a kill: a
// kill before any completed checkpoint proves nothing about recovery. Checks are Boost.Test
// assertions carrying the sequence's label and commands.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/fakes/child_process.hpp"

namespace sluice::fault_test {

/// What one sequence showed.
struct kill_attempt {
  bool conclusive = false;  ///< a restart restored a checkpoint completed before a kill
  bool ok = true;           ///< no check failed
  std::string summary;      ///< one line: the label and what each run did
};

class kill_sequence {
 public:
  explicit kill_sequence(std::string label) : summary_(std::move(label)) {}

  /// Records a run that has ended, and the completed checkpoints it left in `checkpoint_dir`.
  void record(const test::launch& run, const test::run_result& r,
              const std::string& checkpoint_dir);
  /// The last run ended by itself (no more restarts needed).
  bool ended() const { return ended_; }
  /// Checks that the last run ended by itself with exit code 0.
  void expect_success();
  /// Notes a failed check made outside (e.g. on the output).
  void fail() { ok_ = false; }

  kill_attempt result() const { return {conclusive_, ok_, summary_}; }
  const std::string& summary() const { return summary_; }

 private:
  void check(bool condition, const std::string& what);

  std::string summary_;
  std::string commands_;
  int runs_ = 0;
  bool ended_ = false;
  bool ok_ = true;
  bool conclusive_ = false;
  bool last_succeeded_ = false;
  std::string last_outcome_;
  std::optional<uint64_t> newest_at_kill_;  ///< newest completed checkpoint at the last kill
};

}  // namespace sluice::fault_test
