// The tool's command line: --help at every level lists what is there, and every kind of bad usage
// gives one "sluice: error: ..." line and exit code 2 (as the job binaries' flags do).
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "tests/tools/support.hpp"

using namespace sluice::test;

namespace {

constexpr int usage_error = 2;

void expect_usage_error(const std::vector<std::string>& args, const std::string& named) {
  auto r = run_sluice(args);
  BOOST_TEST((r.exited && r.code == usage_error), r.describe());
  BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, "exactly one line: '" << r.err << "'");
  BOOST_TEST(r.err.rfind("sluice: error: ", 0) == 0u, r.err);
  BOOST_TEST(r.err.find(named) != std::string::npos, "stderr names '" << named << "': " << r.err);
  BOOST_TEST(r.out.empty(), "nothing on stdout: " << r.out);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(usage)

BOOST_AUTO_TEST_CASE(help_lists_the_commands_at_every_level) {
  struct level {
    std::vector<std::string> args;
    std::vector<std::string> listed;
  };
  for (const auto& l : std::vector<level>{
           {{"--help"}, {"checkpoints"}},
           {{"-h"}, {"checkpoints"}},
           {{"checkpoints", "--help"}, {"list", "show"}},
           {{"checkpoints", "list", "--help"}, {"DIR"}},
           {{"checkpoints", "show", "--help"}, {"DIR", "ID", "--json"}}}) {
    auto r = run_sluice(l.args);
    BOOST_TEST((r.exited && r.code == 0), r.describe());
    BOOST_TEST(r.err.empty());
    for (const auto& word : l.listed)
      BOOST_TEST(r.out.find(word) != std::string::npos,
                 "help of '" << l.args[0] << "...' lists " << word << ": " << r.out);
  }
}

BOOST_AUTO_TEST_CASE(no_command_is_a_usage_error_listing_the_commands) {
  expect_usage_error({}, "'sluice' needs a command: checkpoints");
}

BOOST_AUTO_TEST_CASE(an_unknown_command_is_named) {
  expect_usage_error({"bogus"}, "unknown command 'bogus' for 'sluice'");
  expect_usage_error({"checkpoints", "bogus"}, "unknown command 'bogus' for 'sluice checkpoints'");
}

BOOST_AUTO_TEST_CASE(checkpoints_without_list_or_show_is_a_usage_error_listing_them) {
  expect_usage_error({"checkpoints"}, "'sluice checkpoints' needs a command: list, show");
}

BOOST_AUTO_TEST_CASE(a_missing_dir_argument_is_named) {
  expect_usage_error({"checkpoints", "list"}, "DIR");
  expect_usage_error({"checkpoints", "show"}, "DIR");
}

BOOST_AUTO_TEST_CASE(a_non_numeric_checkpoint_id_is_named) {
  temp_dir dir;
  expect_usage_error({"checkpoints", "show", dir.path().string(), "abc"}, "abc");
}

BOOST_AUTO_TEST_CASE(an_unknown_flag_is_named) {
  temp_dir dir;
  expect_usage_error({"checkpoints", "list", dir.path().string(), "--bogus"}, "--bogus");
}

BOOST_AUTO_TEST_SUITE_END()
