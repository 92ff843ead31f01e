// examples/wordcount's command line: --help, and every kind of bad input failing the way a user
// can act on (one line on stderr naming the problem, a non-zero exit, never a crash).
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <cstring>

#include "tests/connectors/local_server.hpp"
#include "tests/examples/support.hpp"

using namespace sluice::test;

namespace {

constexpr int flag_error = 2;  // sluice::cli: bad flags
constexpr int job_error = 1;   // sluice::report_error: the job could not run

/// Checks that `args` make wordcount fail with exit code `code` and exactly one stderr line
/// "wordcount: error: ..." containing every string of `names`.
void expect_one_line_failure(const std::vector<std::string>& args, int code,
                             const std::vector<std::string>& names) {
  auto r = run_wordcount(args);
  BOOST_TEST(r.exited, "ended by signal " << r.signal << " (" << strsignal(r.signal)
                                          << ") instead of exiting; stderr: " << r.err);
  BOOST_TEST(!r.hung);
  BOOST_TEST(r.code == code, r.describe());
  BOOST_TEST((!r.err.empty() && r.err.back() == '\n'), "stderr ends with a newline: '" << r.err << "'");
  BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, "exactly one line: '" << r.err << "'");
  BOOST_TEST(r.err.rfind("wordcount: error: ", 0) == 0u, r.err);
  for (const auto& n : names)
    BOOST_TEST(r.err.find(n) != std::string::npos, "stderr names '" << n << "': " << r.err);
  BOOST_TEST(r.out.empty(), "nothing on stdout: " << r.out.substr(0, 300));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wordcount_flags)

BOOST_AUTO_TEST_CASE(help_exits_zero_and_lists_the_common_flags) {
  for (std::string flag : {"--help", "-h"}) {
    auto r = run_wordcount({flag});
    BOOST_TEST((r.exited && r.code == 0), r.describe());
    BOOST_TEST(r.err.empty());
    for (const char* f : {"--parallelism", "--input", "--socket", "--output", "--output-mode",
                          "--trigger-ms", "--follow", "--top"})
      BOOST_TEST(r.out.find(f) != std::string::npos, flag << " output lists " << f);
  }
}

BOOST_AUTO_TEST_CASE(a_missing_input_path_is_named) {
  temp_dir dir;
  auto missing = dir / "no-such-file.txt";
  expect_one_line_failure({"--input", missing}, job_error, {missing, "does not exist"});
}

BOOST_AUTO_TEST_CASE(an_unreachable_socket_is_named_with_host_and_port) {
  bound_socket closed{false};  // bound, not listening: connections are refused
  expect_one_line_failure({"--socket", closed.address()}, job_error,
                          {"cannot connect to " + closed.address() + ": "});
}

BOOST_AUTO_TEST_CASE(an_unknown_flag_is_named) {
  expect_one_line_failure({"--input", kjv_path, "--bogus"}, flag_error, {"--bogus"});
}

BOOST_AUTO_TEST_CASE(a_non_numeric_parallelism_is_named) {
  expect_one_line_failure({"--input", kjv_path, "--parallelism", "abc"}, flag_error,
                          {"--parallelism", "abc"});
}

BOOST_AUTO_TEST_CASE(a_zero_parallelism_is_named) {
  expect_one_line_failure({"--input", kjv_path, "--parallelism", "0"}, flag_error, {"--parallelism"});
}

BOOST_AUTO_TEST_CASE(a_parallelism_above_max_parallelism_is_named) {
  expect_one_line_failure({"--input", kjv_path, "--parallelism", "9", "--max-parallelism", "8"},
                          flag_error, {"--parallelism 9", "--max-parallelism 8"});
}

BOOST_AUTO_TEST_CASE(an_unknown_output_mode_is_named) {
  expect_one_line_failure({"--input", kjv_path, "--output-mode", "foo"}, flag_error,
                          {"--output-mode", "foo"});
}

BOOST_AUTO_TEST_CASE(a_socket_without_a_port_is_named) {
  expect_one_line_failure({"--socket", "nohost"}, flag_error, {"--socket", "nohost"});
}

BOOST_AUTO_TEST_CASE(a_socket_port_out_of_range_is_named) {
  expect_one_line_failure({"--socket", "127.0.0.1:99999"}, job_error, {"--socket", "127.0.0.1:99999"});
}

BOOST_AUTO_TEST_CASE(a_non_numeric_trigger_is_named) {
  expect_one_line_failure({"--input", kjv_path, "--trigger-ms", "soon"}, flag_error,
                          {"--trigger-ms", "soon"});
}

BOOST_AUTO_TEST_CASE(a_negative_trigger_is_named) {
  expect_one_line_failure({"--input", kjv_path, "--trigger-ms", "-5"}, flag_error, {"--trigger-ms"});
}

BOOST_AUTO_TEST_CASE(no_input_at_all_says_which_flags_give_one) {
  expect_one_line_failure({}, job_error, {"no input", "--input", "--socket"});
}

BOOST_AUTO_TEST_CASE(input_and_socket_together_are_refused) {
  expect_one_line_failure({"--input", kjv_path, "--socket", "127.0.0.1:9"}, flag_error,
                          {"--input", "--socket"});
}

BOOST_AUTO_TEST_CASE(top_without_an_output_directory_is_refused) {
  expect_one_line_failure({"--input", kjv_path, "--top", "3"}, job_error, {"--top", "--output"});
}

BOOST_AUTO_TEST_CASE(an_output_directory_that_cannot_be_created_is_named) {
  temp_dir dir;
  write_file(dir / "file", "x");
  auto out = dir / "file/out";
  expect_one_line_failure({"--input", kjv_path, "--output", out}, job_error, {out});
}

BOOST_AUTO_TEST_SUITE_END()
