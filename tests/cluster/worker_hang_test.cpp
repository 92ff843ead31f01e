// A worker that hangs (SIGSTOP) mid-stream: its heartbeats stop, the coordinator declares it lost
// after --node-timeout-ms and restarts the job on the survivors from the latest completed
// checkpoint; the committed output holds every transaction exactly once. Continued (SIGCONT),
// the hung worker finds its coordinator gone and kills its tasks (fencing): whether it is
// continued after the job ended or while the new attempt writes its first parts, it must write
// nothing more to the output, neither committed parts nor in-progress ones.
//
// SLUICE_FAULT_RUNS=N overrides the conclusive runs required per case (the bound is 3 more
// runs), SLUICE_FAULT_SEED=S the first seed (default 1).
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

/// When the test continues the hung worker.
enum class resume_at {
  the_end,      ///< after the coordinator ended
  the_restart,  ///< 50 to 400 ms into the second attempt: the old and new attempts overlap
};

/// One seed: a worker running tasks is stopped a little after the first completed checkpoint.
loss_outcome hang_a_worker(uint64_t seed, resume_at when) {
  rng g{seed};
  temp_dir dir;
  ledger_job job{shared_ledger(ledger_lines), dir, ledger_job_options{}};
  cluster_options o;
  o.workers = 3;
  // A short --join-timeout-ms: continued after the job ended, the hung worker gives up soon.
  o.worker_flags = {"--slots", "1", "--join-timeout-ms", "3000"};
  cluster c{job.next_run(), o};
  c.start();
  auto used = static_cast<uint32_t>(g.below(2));  // join order: workers 0 and 1 hold the slots
  auto victim = worker_once_a_checkpoint_completed(c, job, used);
  std::this_thread::sleep_for(milliseconds(g.below(150)));
  auto newest = newest_checkpoint(job.checkpoints());
  auto& hung = c.worker(*victim);
  hung.stop();
  std::string label = "seed " + std::to_string(seed) + ": worker " + std::to_string(*victim) +
                      " (joined as " + std::to_string(used) + ") stopped";
  if (when == resume_at::the_restart &&
      c.coordinator().wait_for_err("sluice: attempt 2:", event_guard)) {
    auto at = milliseconds(50 + g.below(351));
    std::this_thread::sleep_for(at);
    label += ", continued " + std::to_string(at.count()) + " ms after attempt 2 began";
    hung.resume();
  }
  c.coordinator().wait(run_guard);  // a worker stopped until now cannot have ended
  auto before = output_files(job);
  hung.resume();
  auto r = c.wait_all(run_guard);
  auto out = check_recovery(r, *victim, newest, job, label);
  const auto& h = r.workers[*victim];
  BOOST_TEST(!h.hung, out.summary << ": the hung worker, continued, did not end: " << h.describe());
  if (out.restarted)
    BOOST_TEST(
        !lines_containing(h.err, "lost the coordinator").empty(),
        out.summary << ": the hung worker did not notice it lost the coordinator: " << h.err);
  expect_no_writes_after_the_end(before, job, "the continued worker", h.err, out);
  return out;
}

void hang_until_conclusive(resume_at when) {
  auto required = required_runs(1);
  until_conclusive(required, required + 3,
                   "hung a worker after a completed checkpoint and before the job ended",
                   [when](uint64_t seed) { return hang_a_worker(seed, when); });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(worker_hung)

BOOST_AUTO_TEST_CASE(is_declared_lost_and_the_job_recovers_exactly_once_on_the_survivors) {
  hang_until_conclusive(resume_at::the_end);
}

BOOST_AUTO_TEST_CASE(continued_while_the_job_restarts_it_writes_nothing_more) {
  hang_until_conclusive(resume_at::the_restart);
}

BOOST_AUTO_TEST_SUITE_END()
