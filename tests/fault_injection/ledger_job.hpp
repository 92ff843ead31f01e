// One account_balances job under test: its input, output, dead-letter and checkpoint
// directories inside a scratch directory, the flags of every run, and the state backends the
// tests run against. Runs are numbered so each keeps its own stdout and stderr files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/fakes/child_process.hpp"
#include "tests/fakes/temp_dir.hpp"
#include "tests/fault_injection/ledger.hpp"

namespace sluice::fault_test {

inline const std::string account_balances_binary = SLUICE_BINARY_DIR "/examples/account_balances";

/// The state backends, as type parameters of BOOST_AUTO_TEST_CASE_TEMPLATE. Since RocksDB tables
/// cache their entries (state/rocksdb_table.hpp) both backends update state at about the same
/// speed, so both use the same ledger: a run takes one to two seconds. RocksDB's first checkpoint
/// completes later in a run (opening the database), so a first random kill falls later too, or
/// most kills would come before any checkpoint.
struct memory_backend {
  static constexpr const char* name = "memory";
  static constexpr uint64_t ledger_lines = 3'000'000;
  static constexpr int random_kill_runs = 6;  ///< conclusive runs required by default
  static constexpr double first_kill_from = 0.05, first_kill_to = 0.75;  ///< of a clean run
};
struct rocksdb_backend {
  static constexpr const char* name = "rocksdb";
  static constexpr uint64_t ledger_lines = 3'000'000;
  static constexpr int random_kill_runs = 3;
  static constexpr double first_kill_from = 0.3, first_kill_to = 0.85;
};

/// A ledger of `lines` lines (seed 1) with malformed lines from `malformed_from` on, generated
/// once per test process and shared.
const ledger_input& shared_ledger(uint64_t lines, uint64_t malformed_from = 0);

/// Flags of one account_balances job. Every field says its default.
struct ledger_job_options {
  std::string backend = "memory";  ///< --state-backend
  uint32_t interval_ms = 50;       ///< --checkpoint-interval-ms
  uint32_t retained = 3;           ///< --checkpoints-retained
  uint32_t parallelism = 2;        ///< --parallelism
};

class ledger_job {
 public:
  ledger_job(const ledger_input& input, const test::temp_dir& dir, ledger_job_options opts);

  std::string output() const { return output_; }
  std::string dead_letters() const { return output_ + ".dead-letters"; }
  std::string checkpoints() const { return checkpoints_; }
  const ledger_input& input() const { return input_; }

  /// The next run: `env` adds variables ("SLUICE_FAULT=…"), `extra` flags.
  test::launch next_run(std::vector<std::string> env = {}, std::vector<std::string> extra = {});
  /// The next run with another --output directory (the dead letters follow it).
  test::launch next_run_into(const std::string& output, std::vector<std::string> extra = {});
  /// Checks the committed output and dead letters against the input.
  ledger_check check() const { return check_ledger_output(input_, output(), dead_letters()); }

 private:
  const ledger_input& input_;
  const test::temp_dir& dir_;
  ledger_job_options opts_;
  std::string output_;
  std::string checkpoints_;
  int runs_ = 0;
};

/// The committed output of `job` is exactly its input's, record by record (a Boost.Test check);
/// returns whether it is.
bool expect_exactly_once(const ledger_job& job, const std::string& context);

}  // namespace sluice::fault_test
