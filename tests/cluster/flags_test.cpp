// Bad multi-node flags: the job binary exits 2 with one line naming the flag, before it starts
// anything (no coordinator to reach, nothing to listen on).
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "tests/cluster/support.hpp"

using namespace sluice::cluster_test;
using namespace sluice::fault_test;
using namespace sluice::test;

namespace {

/// `args` make account_balances exit 2 with one line on stderr naming `flag`.
void expect_usage_error(const std::vector<std::string>& args, const std::string& flag) {
  auto r = run(account_balances_binary, args);
  auto l = launch{account_balances_binary, args, {}, ""}.command_line();
  BOOST_TEST(r.exited, l << ": " << r.describe());
  BOOST_TEST(r.code == 2, l << ": " << r.describe());
  BOOST_TEST(lines_containing(r.err, "").size() == 1u, l << ": not one line: " << r.err);
  BOOST_TEST(r.err.find("account_balances: error: ") == 0u, l << ": " << r.err);
  BOOST_TEST(r.err.find(flag) != std::string::npos,
             l << ": does not name " << flag << ": " << r.err);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bad_multi_node_flags)

BOOST_AUTO_TEST_CASE(a_worker_without_join_exits_2_naming_join) {
  expect_usage_error({"--role", "worker"}, "--join");
}

BOOST_AUTO_TEST_CASE(a_coordinator_with_a_listen_address_without_port_exits_2_naming_listen) {
  expect_usage_error({"--role", "coordinator", "--listen", "nonsense"}, "--listen");
}

BOOST_AUTO_TEST_SUITE_END()
