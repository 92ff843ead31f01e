#include "tests/fault_injection/kill_sequence.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/fault_injection/checkpoint_files.hpp"

namespace sluice::fault_test {

namespace {

std::string describe_ids(const std::vector<uint64_t>& ids) {
  if (ids.empty())
    return "no completed checkpoint";
  std::string s = "checkpoints";
  for (auto id : ids) {
    s += ' ';
    s += std::to_string(id);
  }
  return s;
}

}  // namespace

void kill_sequence::check(bool condition, const std::string& what) {
  BOOST_TEST(condition, summary_ << ": " << what << "\ncommands:\n" << commands_);
  ok_ = ok_ && condition;
}

void kill_sequence::record(const test::launch& run, const test::run_result& r,
                           const std::string& checkpoint_dir) {
  auto after = manifest_ids(checkpoint_dir);  // the process is gone: nothing changes them now
  ++runs_;
  commands_ += "  " + run.command_line() + "\n";
  summary_ += "; run " + std::to_string(runs_);
  check(!r.hung, "run " + std::to_string(runs_) + " hung: " + r.describe());
  auto restored = restored_checkpoint(r.err);
  if (runs_ == 1) {
    check(!restored, "a fresh job claims to restore: " + r.err);
  } else if (restored) {
    summary_ += " restored " + std::to_string(*restored);
    check(newest_at_kill_ == restored,
          "run " + std::to_string(runs_) + " restored checkpoint " + std::to_string(*restored) +
              " but the newest one at the kill was " +
              (newest_at_kill_ ? std::to_string(*newest_at_kill_) : std::string{"none"}));
    conclusive_ = conclusive_ || newest_at_kill_ == restored;
  } else if (!r.killed_by_test) {
    // Killed by the test, it may not have got to say so; ended by itself, it must have.
    check(!newest_at_kill_, "checkpoint " + std::to_string(newest_at_kill_.value_or(0)) +
                                " was complete at the kill but run " + std::to_string(runs_) +
                                " did not restore it: " + r.err);
  }
  if (r.killed_by_test) {
    newest_at_kill_ = after.empty() ? std::nullopt : std::optional<uint64_t>(after.back());
    summary_ += " killed at " + std::to_string(r.ran.count()) + " ms with " + describe_ids(after);
  } else {
    ended_ = true;
    last_succeeded_ = r.succeeded();
    last_outcome_ = r.describe();
    summary_ += " ended by itself (" + std::string(r.succeeded() ? "ok" : "failed") + ")";
  }
}

void kill_sequence::expect_success() {
  check(ended_ && last_succeeded_, "the last run did not succeed: " + last_outcome_);
}

}  // namespace sluice::fault_test
