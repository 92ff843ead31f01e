// SIGKILL at the named fault points of checkpoints/fault_points.hpp (SLUICE_FAULT=NAME:N), then a
// restart without the fault: the committed output holds every record exactly once. Each count N
// is chosen so that a checkpoint has completed before the kill (otherwise the run would prove
// nothing); the tests require that, and that the restart restores the newest one.
#include <signal.h>

#include <string>
#include <vector>

#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include "tests/fault_injection/checkpoint_files.hpp"
#include "tests/fault_injection/ledger_job.hpp"

using namespace sluice::fault_test;
using namespace sluice::test;

namespace {

using backends = boost::mpl::list<memory_backend, rocksdb_backend>;

/// Runs `job` with SLUICE_FAULT=`fault` and checks that the fault point killed it after a
/// checkpoint completed; returns the newest completed checkpoint.
uint64_t run_until_fault(ledger_job& job, const std::string& fault) {
  auto run = job.next_run({"SLUICE_FAULT=" + fault});
  auto r = run_to_end(run);
  BOOST_TEST_REQUIRE((!r.exited && r.signal == SIGKILL),
                     run.command_line()
                         << ": the fault point did not kill the job: " << r.describe());
  auto name = fault.substr(0, fault.find(':'));
  BOOST_TEST(lines_containing(r.err, "fault point " + name + " reached").size() == 1u, r.err);
  auto ids = manifest_ids(job.checkpoints());
  BOOST_TEST_REQUIRE(!ids.empty(), "inconclusive: no checkpoint had completed when "
                                       << fault << " killed the job; raise its count");
  return ids.back();
}

/// Restarts `job` (with `env`) to the end and checks it restored `newest`.
void restart_restoring(ledger_job& job, uint64_t newest, std::vector<std::string> env = {}) {
  auto run = job.next_run(std::move(env));
  auto r = run_to_end(run);
  BOOST_TEST_REQUIRE(r.succeeded(), run.command_line() << ": " << r.describe());
  BOOST_TEST((restored_checkpoint(r.err) == newest),
             "expected to restore checkpoint " << newest << ": " << r.err);
}

/// Kills a ledger job at `fault`, restarts it, and checks its output.
template <class Backend>
void kill_at_then_restart(const std::string& fault, uint32_t interval_ms = 50) {
  BOOST_TEST_CONTEXT(Backend::name << " backend, SLUICE_FAULT=" << fault) {
    temp_dir dir;
    ledger_job_options o;
    o.backend = Backend::name;
    o.interval_ms = interval_ms;
    ledger_job job{shared_ledger(Backend::ledger_lines), dir, o};
    auto newest = run_until_fault(job, fault);
    restart_restoring(job, newest);
    expect_exactly_once(job, "SLUICE_FAULT=" + fault);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(killed_at_a_named_fault_point)

BOOST_AUTO_TEST_CASE_TEMPLATE(after_the_sinks_precommitted_a_restart_commits_exactly_once, Backend,
                              backends) {
  // Up to four pre-commits (two sinks, two dead-letter writers) per checkpoint: the fifth pass
  // is in checkpoint 2 or later, so checkpoint 1 is complete.
  kill_at_then_restart<Backend>("sink_after_precommit:5");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(between_two_part_file_commits_a_restart_commits_exactly_once, Backend,
                              backends) {
  kill_at_then_restart<Backend>("sink_mid_commit:3");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(after_a_part_file_commit_a_restart_commits_exactly_once, Backend,
                              backends) {
  kill_at_then_restart<Backend>("sink_after_commit:3");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(before_a_manifest_is_written_a_restart_commits_exactly_once, Backend,
                              backends) {
  kill_at_then_restart<Backend>("coordinator_before_manifest:3");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(
    after_a_manifest_before_the_sinks_commit_a_restart_commits_exactly_once, Backend, backends) {
  kill_at_then_restart<Backend>("coordinator_after_manifest:2");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(after_a_task_snapshot_a_restart_commits_exactly_once, Backend,
                              backends) {
  // One pass per task and checkpoint (a handful of tasks): pass 9 is past checkpoint 1.
  kill_at_then_restart<Backend>("task_after_snapshot:9");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(after_the_final_manifest_a_restart_only_commits_what_it_precommitted,
                              Backend, backends) {
  // With no periodic checkpoints the only manifest is the final one.
  temp_dir dir;
  ledger_job_options o;
  o.backend = Backend::name;
  o.interval_ms = 0;
  ledger_job job{shared_ledger(Backend::ledger_lines), dir, o};
  auto newest = run_until_fault(job, "coordinator_after_manifest:1");
  auto run = job.next_run();
  auto r = run_to_end(run);
  BOOST_TEST_REQUIRE(r.succeeded(), run.command_line() << ": " << r.describe());
  BOOST_TEST(lines_containing(r.err, "restoring from checkpoint " + std::to_string(newest) +
                                         " in " + job.checkpoints() + " (the job had finished)")
                     .size() == 1u,
             r.err);
  expect_exactly_once(job, "killed after the final manifest");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(during_the_commits_of_recovery_a_second_restart_commits_exactly_once,
                              Backend, backends) {
  // Checkpoint 2 is complete but none of its parts committed; the restart commits them while
  // restoring, and is killed at its first rename.
  temp_dir dir;
  ledger_job_options o;
  o.backend = Backend::name;
  ledger_job job{shared_ledger(Backend::ledger_lines), dir, o};
  auto newest = run_until_fault(job, "coordinator_after_manifest:2");
  auto run = job.next_run({"SLUICE_FAULT=sink_mid_commit:1"});
  auto r = run_to_end(run);
  BOOST_TEST_REQUIRE((!r.exited && r.signal == SIGKILL),
                     run.command_line()
                         << ": recovery did not reach its commits: " << r.describe());
  BOOST_TEST((restored_checkpoint(r.err) == newest), r.err);
  restart_restoring(job, manifest_ids(job.checkpoints()).back());
  expect_exactly_once(job, "killed during recovery");
}

BOOST_AUTO_TEST_CASE(after_a_manifest_a_restart_on_rocksdb_from_memory_state_commits_exactly_once) {
  // Memory snapshots restore into RocksDB tables (the other way round is refused).
  temp_dir dir;
  ledger_job job{shared_ledger(rocksdb_backend::ledger_lines), dir, ledger_job_options{}};
  // The first manifest: the small ledger may finish before a second one on the memory backend.
  auto newest = run_until_fault(job, "coordinator_after_manifest:1");
  auto run = job.next_run();
  run.set_flag("--state-backend", "rocksdb");
  auto r = run_to_end(run);
  BOOST_TEST_REQUIRE(r.succeeded(), run.command_line() << ": " << r.describe());
  BOOST_TEST((restored_checkpoint(r.err) == newest), r.err);
  expect_exactly_once(job, "memory state restored into RocksDB");
}

BOOST_AUTO_TEST_SUITE_END()
