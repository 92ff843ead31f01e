#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <tuple>

#include "connectors/console_sink.hpp"
#include "connectors/format.hpp"
#include "tests/connectors/support.hpp"

using namespace sluice;
using row = std::pair<std::string, int64_t>;

namespace {

/// Runs `body` with the process's stdout sent to a file; returns what was written.
std::string capture_stdout(const std::function<void()>& body) {
  test::temp_dir dir;
  auto path = dir / "stdout";
  std::fflush(stdout);
  int saved = ::dup(STDOUT_FILENO);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  BOOST_REQUIRE(saved >= 0 && fd >= 0);
  ::dup2(fd, STDOUT_FILENO);
  ::close(fd);
  try {
    body();
  } catch (...) {
    ::dup2(saved, STDOUT_FILENO);
    ::close(saved);
    throw;
  }
  std::fflush(stdout);
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  return test::read_file(path);
}

template <class T>
void feed(operator_logic& op, std::vector<T> xs) {
  batch<T> b{std::move(xs)};
  test::recording_emitter<T> out;
  op.process(b, out);
}

std::string header(int n) {
  return "-------------------------------------------\nBatch: " + std::to_string(n) +
         "\n-------------------------------------------\n";
}

template <class T>
std::string formatted(const T& x) {
  std::string s;
  default_formatter{}(s, x);
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(format_tests)

BOOST_AUTO_TEST_CASE(pairs_and_tuples_print_as_tab_separated_fields) {
  BOOST_TEST(formatted(row{"word", 42}) == "word\t42");
  BOOST_TEST(formatted(std::make_tuple(std::string{"a"}, -7, true, 2.5)) == "a\t-7\ttrue\t2.5");
  BOOST_TEST(formatted(std::make_pair(std::make_pair(1, 2), std::string_view{"x"})) == "1\t2\tx");
}

BOOST_AUTO_TEST_CASE(strings_print_as_they_are) {
  const std::string odd("tab\there \xff\x00", 11);
  BOOST_TEST(formatted(odd) == odd);
  BOOST_TEST(formatted(std::string{}).empty());
}

BOOST_AUTO_TEST_CASE(numbers_print_in_decimal_at_their_extremes) {
  BOOST_TEST(formatted(INT64_MIN) == "-9223372036854775808");
  BOOST_TEST(formatted(UINT64_MAX) == "18446744073709551615");
  BOOST_TEST(formatted(uint8_t{200}) == "200");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(console_sink_tests)

BOOST_AUTO_TEST_CASE(records_print_one_per_line_without_headers_outside_aggregations) {
  console_sink<row> sink{std::nullopt};
  auto text = capture_stdout([&] {
    feed<row>(sink, {{"a", 1}, {"b", 2}});
    feed<row>(sink, {{"c", 3}});
  });
  BOOST_TEST(text == "a\t1\nb\t2\nc\t3\n");
}

BOOST_AUTO_TEST_CASE(each_trigger_of_an_aggregation_prints_under_its_batch_header) {
  console_sink<row> sink{output_mode::complete};
  test::recording_emitter<row> out;
  auto text = capture_stdout([&] {
    feed<row>(sink, {{"a", 1}});
    feed<row>(sink, {{"b", 1}});
    sink.on_epoch_end(1, out);
    feed<row>(sink, {{"a", 2}, {"b", 1}});
    sink.on_epoch_end(2, out);
  });
  BOOST_TEST(text == header(0) + "a\t1\nb\t1\n" + header(1) + "a\t2\nb\t1\n");
}

BOOST_AUTO_TEST_SUITE_END()
