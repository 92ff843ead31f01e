// A worker running tasks is partitioned (the root end of its veth set down: its packets are
// dropped silently, no connection is reset) a little after the first completed checkpoint. The
// coordinator must declare it lost after --node-timeout-ms and restart the job on the two other
// workers from the latest completed checkpoint; the job ends with exit 0 and the committed output
// holds every transaction exactly once (so nothing the cut-off worker wrote after its lease ran
// out was committed). Then the link is healed, either while the second attempt runs or after the
// coordinator ended: the cut-off worker must notice it lost the coordinator, and either re-join
// (and end with the job) or give up after --join-timeout-ms; it must write nothing to the output
// after the coordinator ended, neither committed parts nor in-progress ones.
//
// SLUICE_FAULT_RUNS=N overrides the conclusive runs required per case (the bound is 3 more
// runs), SLUICE_FAULT_SEED=S the first seed (default 1).
#include <chrono>
#include <map>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "tests/cluster/recovery.hpp"
#include "tests/cluster/support.hpp"
#include "tests/fakes/rng.hpp"
#include "tests/netns/support.hpp"

using namespace sluice::cluster_test;
using namespace sluice::fault_test;
using namespace sluice::netns_test;
using namespace sluice::test;
using std::chrono::milliseconds;

namespace {

/// When the test heals the partition.
enum class heal_at {
  the_restart,  ///< 50 to 400 ms into the second attempt: the cut-off worker may re-join it
  the_end,      ///< after the coordinator ended: the cut-off worker finds no coordinator
};

/// The cut-off worker, healed: it noticed the loss, then re-joined and ended with the job (exit
/// 0), or gave up (exit 1, saying why). `out` records failures.
void check_cut_off_worker(const run_result& w, loss_outcome& out) {
  auto check = [&](bool condition, const std::string& what) {
    BOOST_TEST(condition, out.summary << ": the cut-off worker " << what << ": " << w.describe());
    out.ok = out.ok && condition;
  };
  check(!w.hung && w.exited, "did not end by itself once healed");
  check(!lines_containing(w.err, "lost the coordinator").empty(),
        "did not notice it lost the coordinator");
  auto joins = lines_containing(w.err, "joined as worker").size();
  if (w.succeeded()) {
    check(joins >= 2, "exited 0 without re-joining");
    check(!lines_containing(w.err, "the job finished").empty(), "exited 0 without the job");
    out.summary += "; the cut-off worker re-joined and ended with the job";
  } else {
    check(w.code == 1 && (!lines_containing(w.err, "cannot reach the coordinator").empty() ||
                          !lines_containing(w.err, "refused this worker").empty()),
          "ended otherwise than giving up on the coordinator");
    out.summary += "; the cut-off worker gave up (exit " + std::to_string(w.code) +
                   (joins >= 2 ? ", after re-joining)" : ")");
  }
}

/// One seed: a worker running tasks is cut off a little after the first completed checkpoint.
loss_outcome partition_a_worker(uint64_t seed, heal_at when) {
  rng g{seed};
  netns_network net{3};  // outlives the cluster: its processes are killed first
  temp_dir dir;
  ledger_job job{shared_ledger(ledger_lines), dir, ledger_job_options{}};
  cluster c{job.next_run(), namespaced_workers(net)};
  c.start();
  auto used = static_cast<uint32_t>(g.below(2));  // join order: workers 0 and 1 hold the slots
  auto victim = worker_once_a_checkpoint_completed(c, job, used);
  std::this_thread::sleep_for(milliseconds(g.below(150)));
  auto newest = newest_checkpoint(job.checkpoints());
  net.cut(*victim);
  std::string label = "seed " + std::to_string(seed) + ": worker " + std::to_string(*victim) +
                      " (joined as " + std::to_string(used) + ", pid " +
                      std::to_string(c.worker(*victim).pid()) + ") cut off";
  // The coordinator names a worker HOST:PID; `ip netns exec` exec'd the worker in its own pid.
  auto lost_line = ":" + std::to_string(c.worker(*victim).pid()) + " lost: ";
  bool lost = c.coordinator().wait_for_err(lost_line, event_guard);
  if (when == heal_at::the_restart && lost &&
      c.coordinator().wait_for_err("sluice: attempt 2:", event_guard)) {
    auto at = milliseconds(50 + g.below(351));
    std::this_thread::sleep_for(at);
    label += ", healed " + std::to_string(at.count()) + " ms after attempt 2 began";
    net.heal(*victim);
  }
  c.coordinator().wait(run_guard);
  auto before = output_files(job);
  net.heal(*victim);
  auto r = c.wait_all(run_guard);
  auto out = check_recovery(r, *victim, newest, job, label);
  if (out.restarted) {
    BOOST_TEST(lost, out.summary << ": no line says worker " << *victim << " was lost (\""
                                 << lost_line << "\")\n"
                                 << r.describe());
    out.ok = out.ok && lost;
  }
  check_cut_off_worker(r.workers[*victim], out);
  expect_no_writes_after_the_end(before, job, "the cut-off worker", r.workers[*victim].err, out);
  return out;
}

void partition_until_conclusive(heal_at when) {
  auto required = required_runs(1);
  until_conclusive(required, required + 3,
                   "cut a worker off after a completed checkpoint and before the job ended",
                   [when](uint64_t seed) { return partition_a_worker(seed, when); });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(worker_partitioned, *boost::unit_test::precondition(netns_available))

BOOST_AUTO_TEST_CASE(is_declared_lost_and_the_job_recovers_exactly_once_on_the_others) {
  partition_until_conclusive(heal_at::the_end);
}

BOOST_AUTO_TEST_CASE(healed_while_the_job_restarts_it_writes_nothing_that_is_committed) {
  partition_until_conclusive(heal_at::the_restart);
}

BOOST_AUTO_TEST_SUITE_END()
