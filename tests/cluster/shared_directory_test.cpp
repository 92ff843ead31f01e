// Checkpoints must live where every node reaches them: the coordinator writes a fresh token into
// the checkpoint directory and a worker that cannot read it back there (another machine's local
// disk, a relative path resolved elsewhere) is refused at join with one line saying why, instead
// of running with checkpoints no other node could restore.
#include <filesystem>
#include <string>

#include <boost/test/unit_test.hpp>

#include "actors/cluster.hpp"
#include "tests/cluster/support.hpp"

using namespace sluice::cluster_test;
using namespace sluice::fault_test;
using namespace sluice::test;

BOOST_AUTO_TEST_SUITE(shared_checkpoint_directory)

BOOST_AUTO_TEST_CASE(a_worker_that_does_not_see_the_checkpoint_directory_is_refused) {
  temp_dir dir;
  ledger_job job{shared_ledger(ledger_lines / 10), dir, ledger_job_options{}};
  cluster_options o;
  o.workers = 1;
  cluster c{job.next_run(), o};
  c.start_coordinator();
  auto token = std::filesystem::path(job.checkpoints()) /
               sluice::actors::checkpoint_dir_token_file;
  BOOST_TEST_REQUIRE(std::filesystem::exists(token), c.coordinator().err());
  // What a worker sees on a disk that is not the coordinator's: the directory without the token.
  std::filesystem::rename(token, token.string() + ".away");
  auto r = c.start_worker({"--join-timeout-ms", "2000"}).wait(run_guard);
  BOOST_TEST(r.exited, r.describe());
  BOOST_TEST(r.code == 1, r.describe());
  BOOST_TEST(lines_containing(r.err, "does not see the coordinator's --checkpoint-dir " +
                                         job.checkpoints())
                     .size() == 1u,
             r.err);
  BOOST_TEST(lines_containing(c.coordinator().err(), " joined with ").empty(),
             c.coordinator().err());
  // Back in place, a worker joins and the job runs.
  std::filesystem::rename(token.string() + ".away", token);
  c.start_worker();
  auto all = c.wait_all(run_guard);
  BOOST_TEST_REQUIRE(all.coordinator.succeeded(), all.describe());
  expect_exactly_once(job, all.commands);
}

BOOST_AUTO_TEST_SUITE_END()
