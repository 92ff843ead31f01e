// The coordinator SIGKILLed mid-run, after a checkpoint completed, and started again with the same
// flags on the same port: the workers, which fenced themselves when they lost it, re-join the new
// one, which resumes the job from the latest completed checkpoint; every transaction is committed
// exactly once.
#include <chrono>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "tests/cluster/support.hpp"
#include "tests/fakes/rng.hpp"

using namespace sluice::cluster_test;
using namespace sluice::fault_test;
using namespace sluice::test;
using std::chrono::milliseconds;

namespace {

/// One seed; returns whether it was conclusive (the coordinator killed after a checkpoint
/// completed, before the job ended).
bool restart_the_coordinator(uint64_t seed) {
  rng g{seed};
  temp_dir dir;
  ledger_job job{shared_ledger(ledger_lines), dir, ledger_job_options{}};
  cluster_options o;
  o.listen = "127.0.0.1:" + std::to_string(free_port());  // the restarted one needs the same
  cluster c{job.next_run(), o};
  c.start();
  BOOST_TEST_REQUIRE(c.coordinator().wait_until(
                         [&] { return newest_checkpoint(job.checkpoints()) > 0; }, event_guard),
                     "no checkpoint completed: " << c.coordinator().err() << "\n"
                                                 << c.commands());
  std::this_thread::sleep_for(milliseconds(g.below(100)));
  auto newest = newest_checkpoint(job.checkpoints());
  c.coordinator().kill();
  auto first = c.coordinator().wait();
  std::string label =
      "seed " + std::to_string(seed) + ", newest checkpoint at the kill " + std::to_string(newest);
  if (!first.killed_by_test) {
    BOOST_TEST(first.succeeded(), label << ": " << first.describe());
    auto r = c.wait_all(run_guard);
    BOOST_TEST(r.succeeded(), r.describe());
    BOOST_TEST_MESSAGE(label << ": the job ended before the kill");
    return false;
  }
  c.start_coordinator();
  auto r = c.wait_all(run_guard);
  BOOST_TEST_REQUIRE(r.succeeded(), label << ": " << r.describe());
  auto a = attempts(r.coordinator.err);
  BOOST_TEST_REQUIRE(a.size() == 1u, label << ": " << r.coordinator.err);
  BOOST_TEST((a[0].restored && *a[0].restored >= newest),
             label << ": the restarted coordinator did not resume from checkpoint " << newest
                   << " or a later one: " << r.coordinator.err);
  for (std::size_t i = 0; i < r.workers.size(); ++i) {
    const auto& err = r.workers[i].err;
    BOOST_TEST(lines_containing(err, "lost the coordinator").size() == 1u,
               label << ": worker " << i << ": " << err);
    BOOST_TEST(lines_containing(err, "joined as worker").size() == 2u,
               label << ": worker " << i << " did not re-join: " << err);
  }
  expect_exactly_once(job, label + "\n" + r.commands);
  BOOST_TEST_MESSAGE(label << ": the restarted coordinator restored "
                           << (a[0].restored ? std::to_string(*a[0].restored) : "nothing"));
  return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(coordinator_restarted)

BOOST_AUTO_TEST_CASE(on_the_same_port_the_workers_rejoin_and_the_job_resumes_exactly_once) {
  int conclusive = 0, inconclusive = 0;
  for (uint64_t seed = 1; conclusive < 1 && inconclusive < 3; ++seed)
    (restart_the_coordinator(seed) ? conclusive : inconclusive) += 1;
  BOOST_TEST(conclusive >= 1, "the job always ended before the coordinator was killed ("
                                  << inconclusive << " runs)");
}

BOOST_AUTO_TEST_SUITE_END()
