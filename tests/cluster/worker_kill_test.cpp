// A worker SIGKILLed mid-stream, at a random (seeded) time or at a named fault point of
// checkpoints/fault_points.hpp: the coordinator restarts the job on the survivors from the latest
// completed checkpoint, exits 0, and the committed output holds every transaction exactly once.
//
// Three workers with one slot each run a job of parallelism 2: the first two to join get the
// tasks, and after one of them is killed the other two still offer the two slots needed.
// SLUICE_FAULT_RUNS=N overrides the conclusive random kills required (the bound is 4N runs),
// SLUICE_FAULT_SEED=S the first seed (default 1).
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "tests/cluster/recovery.hpp"
#include "tests/cluster/support.hpp"
#include "tests/fakes/rng.hpp"

using namespace sluice::cluster_test;
using namespace sluice::fault_test;
using namespace sluice::test;
using std::chrono::milliseconds;

namespace {

cluster_options three_workers_with_one_slot() {
  cluster_options o;
  o.workers = 3;
  o.worker_flags = {"--slots", "1"};
  return o;
}

/// One seed: a worker running tasks is killed `fraction` of a clean run after attempt 1 began.
loss_outcome kill_a_worker_at_random(uint64_t seed, milliseconds clean_run) {
  rng g{seed};
  temp_dir dir;
  ledger_job job{shared_ledger(ledger_lines), dir, ledger_job_options{}};
  cluster c{job.next_run(), three_workers_with_one_slot()};
  c.start();
  BOOST_TEST_REQUIRE(c.coordinator().wait_for_err("sluice: attempt 1:", event_guard),
                     "no attempt started: " << c.coordinator().err() << "\n"
                                            << c.commands());
  auto began = std::chrono::steady_clock::now();
  auto at = milliseconds(clean_run.count() * static_cast<int64_t>(g.between(2, 60)) / 100);
  auto used = static_cast<uint32_t>(g.below(2));  // join order: workers 0 and 1 hold the slots
  std::optional<std::size_t> victim;
  BOOST_TEST_REQUIRE(
      c.coordinator().wait_until([&] { return (victim = c.worker_joined_as(used)).has_value(); },
                                 event_guard),
      "no worker says it joined as worker " << used << "\n"
                                            << c.commands());
  std::this_thread::sleep_until(began + at);
  auto newest = newest_checkpoint(job.checkpoints());
  c.worker(*victim).kill();
  auto r = c.wait_all(run_guard);
  std::string label = "seed " + std::to_string(seed) + ": worker " + std::to_string(*victim) +
                      " (joined as " + std::to_string(used) + ") killed " +
                      std::to_string(at.count()) + " ms after attempt 1 began";
  if (!r.workers[*victim].killed_by_test)
    label += " (it had already ended: " + r.workers[*victim].describe() + ")";
  return check_recovery(r, *victim, newest, job, label);
}

/// Two workers with two slots each, the first with SLUICE_FAULT=`fault`: it kills itself there
/// (after checkpoints completed, by the count chosen), and the second runs the restarted job.
void kill_a_worker_at(const std::string& fault) {
  temp_dir dir;
  ledger_job job{shared_ledger(ledger_lines), dir, ledger_job_options{}};
  cluster_options o;
  o.worker_flags = {"--slots", "2"};
  cluster c{job.next_run(), o};
  c.start_coordinator();
  c.start_worker({}, {"SLUICE_FAULT=" + fault});
  c.start_worker();
  auto r = c.wait_all(run_guard);
  const auto& victim = r.workers[0];
  BOOST_TEST_REQUIRE((!victim.exited && victim.signal == SIGKILL),
                     "the fault point did not kill the worker: " << r.describe());
  auto name = fault.substr(0, fault.find(':'));
  BOOST_TEST(lines_containing(victim.err, "fault point " + name + " reached").size() == 1u,
             victim.err);
  auto out = check_recovery(r, 0, 0, job, "SLUICE_FAULT=" + fault + " on worker 0");
  BOOST_TEST(out.restarted, out.summary << ": the job was not restarted\n" << r.describe());
  BOOST_TEST(out.restored.has_value(),
             out.summary << ": inconclusive, no checkpoint had completed: raise the count");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(worker_killed)

BOOST_AUTO_TEST_CASE(at_random_times_the_job_recovers_on_the_survivors_exactly_once) {
  // A clean run sizes the kill times; its output must already be right.
  milliseconds clean_run{0};
  {
    temp_dir dir;
    ledger_job job{shared_ledger(ledger_lines), dir, ledger_job_options{}};
    auto r = run_cluster(job.next_run(), three_workers_with_one_slot());
    BOOST_TEST_REQUIRE(r.succeeded(), r.describe());
    expect_exactly_once(job, "an uninterrupted run on three workers");
    clean_run = r.coordinator.ran;
  }
  // Inconclusive: the job ended before the kill, or no checkpoint had completed.
  auto required = required_runs(2);
  until_conclusive(required, 4 * required, "were killed after a completed checkpoint",
                   [&](uint64_t seed) { return kill_a_worker_at_random(seed, clean_run); });
}

BOOST_AUTO_TEST_CASE(after_its_sinks_precommitted_the_job_recovers_exactly_once) {
  // Two pre-commits per checkpoint on a worker (its sink and its dead-letter writer): the fifth
  // is in checkpoint 3, so checkpoints 1 and 2 are complete.
  kill_a_worker_at("sink_after_precommit:5");
}

BOOST_AUTO_TEST_CASE(between_two_part_file_commits_the_job_recovers_exactly_once) {
  // Commits follow a completed checkpoint: the restart restores it and commits the rest.
  kill_a_worker_at("sink_mid_commit:3");
}

BOOST_AUTO_TEST_SUITE_END()
