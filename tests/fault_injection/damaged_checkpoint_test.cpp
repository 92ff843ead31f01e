// Damaged checkpoints: recovery skips a damaged newest checkpoint for the previous one with one
// warning naming it, and refuses to start (until --from-scratch) when none is valid.
//
// Skipping a checkpoint is only safe while its sink commits have not happened: once its parts
// are renamed, restoring an older checkpoint replays them a second time (a documented limit of
// two-phase commit with a lost checkpoint). So the job is killed at coordinator_after_manifest:3,
// where checkpoint 3 is complete but nothing it pre-committed is visible yet, and then damaged.
#include <signal.h>

#include <functional>
#include <string>

#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include "tests/fault_injection/checkpoint_files.hpp"
#include "tests/fault_injection/ledger_job.hpp"

using namespace sluice::fault_test;
using namespace sluice::test;

namespace {

using backends = boost::mpl::list<memory_backend, rocksdb_backend>;

/// A ledger job killed once checkpoints 1, 2 and 3 are complete and 3 is not committed.
template <class Backend>
struct killed_after_three_checkpoints {
  temp_dir dir;
  ledger_job job{shared_ledger(Backend::ledger_lines), dir, options()};

  killed_after_three_checkpoints() {
    auto run = job.next_run({"SLUICE_FAULT=coordinator_after_manifest:3"});
    auto r = run_to_end(run);
    BOOST_TEST_REQUIRE((!r.exited && r.signal == SIGKILL),
                       run.command_line()
                           << ": the fault point did not kill the job: " << r.describe());
    BOOST_TEST_REQUIRE(manifest_ids(job.checkpoints()) == (std::vector<uint64_t>{1, 2, 3}));
  }
  static ledger_job_options options() {
    ledger_job_options o;
    o.backend = Backend::name;
    o.retained = 3;
    return o;
  }
  std::string checkpoint_3() const { return "checkpoint 3 in " + job.checkpoints(); }

  /// Restarts after checkpoint 3 was damaged by `damage`; checks the one warning, the restore
  /// of checkpoint 2, and the output.
  void expect_checkpoint_2_restored(const std::function<void()>& damage) {
    damage();
    auto run = job.next_run();
    auto r = run_to_end(run);
    BOOST_TEST_REQUIRE(r.succeeded(), run.command_line() << ": " << r.describe());
    auto warnings = lines_containing(r.err, "warning");
    BOOST_TEST_REQUIRE(warnings.size() == 1u, r.err);
    BOOST_TEST(warnings[0].find(checkpoint_3()) != std::string::npos, warnings[0]);
    BOOST_TEST(warnings[0].find("damaged") != std::string::npos, warnings[0]);
    BOOST_TEST((restored_checkpoint(r.err) == 2u), r.err);
    expect_exactly_once(job, "checkpoint 3 damaged");
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(damaged_checkpoints)

BOOST_AUTO_TEST_CASE_TEMPLATE(a_truncated_state_file_makes_recovery_restore_the_previous_checkpoint,
                              Backend, backends) {
  killed_after_three_checkpoints<Backend> f;
  f.expect_checkpoint_2_restored([&] { truncate_a_state_file(f.job.checkpoints(), 3); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(
    a_flipped_manifest_byte_makes_recovery_restore_the_previous_checkpoint, Backend, backends) {
  killed_after_three_checkpoints<Backend> f;
  f.expect_checkpoint_2_restored([&] { flip_a_manifest_byte(f.job.checkpoints(), 3); });
}

BOOST_AUTO_TEST_CASE(a_job_whose_checkpoints_are_all_damaged_refuses_to_start_until_from_scratch) {
  killed_after_three_checkpoints<memory_backend> f;
  auto& job = f.job;
  flip_a_manifest_byte(job.checkpoints(), 3);
  truncate_a_state_file(job.checkpoints(), 2);
  flip_a_manifest_byte(job.checkpoints(), 1);
  auto output_before = file_names(job.output());
  auto dead_letters_before = file_names(job.dead_letters());

  auto run = job.next_run();
  auto r = run_to_end(run);
  BOOST_TEST((r.exited && r.code != 0), run.command_line() << ": " << r.describe());
  auto refusal = lines_containing(r.err, "--from-scratch");
  BOOST_TEST_REQUIRE(refusal.size() == 1u, r.err);
  BOOST_TEST(refusal[0].find(job.checkpoints()) != std::string::npos, refusal[0]);
  BOOST_TEST(lines_containing(r.err, "warning").size() == 3u, r.err);
  BOOST_TEST(!restored_checkpoint(r.err), r.err);
  BOOST_TEST(file_names(job.output()) == output_before, "a job that refused to start wrote output");
  BOOST_TEST(file_names(job.dead_letters()) == dead_letters_before);

  // Starting over replays the whole input: into a fresh output directory it is all there once.
  auto fresh = f.dir / "fresh";
  auto again = job.next_run_into(fresh, {"--from-scratch"});
  auto r2 = run_to_end(again);
  BOOST_TEST_REQUIRE(r2.succeeded(), again.command_line() << ": " << r2.describe());
  BOOST_TEST(!restored_checkpoint(r2.err), r2.err);
  BOOST_TEST(lines_containing(r2.err, "warning").empty(), r2.err);
  auto c = check_ledger_output(job.input(), fresh, fresh + ".dead-letters");
  BOOST_TEST(c.ok(), "from scratch: " << c.describe());
}

BOOST_AUTO_TEST_SUITE_END()
