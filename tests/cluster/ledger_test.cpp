// account_balances across two workers, nothing failing: the committed output holds every
// transaction of the ledger exactly once, each balance chaining on its account's previous one, and
// every malformed line as one dead letter (the fault-injection checks, record by record).
#include <boost/test/unit_test.hpp>

#include "tests/cluster/support.hpp"

using namespace sluice::cluster_test;
using namespace sluice::fault_test;
using namespace sluice::test;

BOOST_AUTO_TEST_SUITE(ledger_across_nodes)

BOOST_AUTO_TEST_CASE(two_workers_commit_every_transaction_exactly_once_with_consistent_balances) {
  temp_dir dir;
  ledger_job job{shared_ledger(ledger_lines), dir, ledger_job_options{}};
  auto c = run_cluster(job.next_run(), cluster_options{});
  BOOST_TEST_REQUIRE(c.succeeded(), c.describe());
  auto a = attempts(c.coordinator.err);
  BOOST_TEST_REQUIRE(a.size() == 1u, c.coordinator.err);
  BOOST_TEST(a[0].workers == 2u, "the job did not use both workers: " << c.coordinator.err);
  BOOST_TEST(newest_checkpoint(job.checkpoints()) > 0u, "no checkpoint completed");
  expect_exactly_once(job, "two workers");
}

BOOST_AUTO_TEST_SUITE_END()
