// The setup every partition test relies on: workers in their own namespaces join the coordinator
// across their veth links, and the job they run gives the same exactly-once output as on loopback.
#include <sys/stat.h>

#include <string>

#include <boost/test/unit_test.hpp>

#include "tests/cluster/support.hpp"
#include "tests/netns/support.hpp"

using namespace sluice::cluster_test;
using namespace sluice::fault_test;
using namespace sluice::netns_test;
using namespace sluice::test;

namespace {

/// The inode of the network namespace at `path` (/proc/PID/ns/net, /run/netns/NAME), 0 if none.
ino_t namespace_inode(const std::string& path) {
  struct stat s{};
  return ::stat(path.c_str(), &s) == 0 ? s.st_ino : 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(workers_in_namespaces, *boost::unit_test::precondition(netns_available))

BOOST_AUTO_TEST_CASE(a_job_across_three_namespaced_workers_gives_exactly_once_output) {
  netns_network net{3};  // outlives the cluster: its processes are killed first
  temp_dir dir;
  ledger_job job{shared_ledger(ledger_lines), dir, ledger_job_options{}};
  cluster c{job.next_run(), namespaced_workers(net)};
  c.start();
  BOOST_TEST_REQUIRE(c.coordinator().wait_until(
                         [&] {
                           return c.worker_joined_as(0) && c.worker_joined_as(1) &&
                                  c.worker_joined_as(2);
                         },
                         event_guard),
                     "not every worker joined: " << c.coordinator().err() << "\n"
                                                 << c.commands());
  for (std::size_t i = 0; i < net.workers(); ++i) {
    auto inside = namespace_inode("/proc/" + std::to_string(c.worker(i).pid()) + "/ns/net");
    BOOST_TEST((inside != 0 && inside == namespace_inode("/run/netns/" + net.ns(i))),
               "worker " << i << " (pid " << c.worker(i).pid() << ") does not run in namespace "
                         << net.ns(i));
  }
  auto r = c.wait_all(run_guard);
  BOOST_TEST_REQUIRE(r.succeeded(), r.describe());
  auto tried = attempts(r.coordinator.err);
  BOOST_TEST_REQUIRE(tried.size() == 1u, r.describe());
  BOOST_TEST(tried[0].workers == 3u, r.describe());
  for (std::size_t i = 0; i < net.workers(); ++i)
    BOOST_TEST(net.received_bytes(i) > 0u,
               "nothing crossed " << net.host_link(i) << ", worker " << i << "'s link");
  expect_exactly_once(job, "a run on three namespaced workers\n" + r.commands);
}

BOOST_AUTO_TEST_SUITE_END()
