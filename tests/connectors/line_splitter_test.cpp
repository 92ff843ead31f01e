#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "connectors/line_splitter.hpp"
#include "tests/connectors/support.hpp"

using sluice::line_splitter;
using lines = std::vector<std::string>;

namespace {

/// Feeds `bytes` in pieces of `piece` bytes, then flushes.
lines split(std::string_view bytes, std::size_t piece = SIZE_MAX) {
  line_splitter s;
  lines out;
  for (std::size_t i = 0; i < bytes.size(); i += piece) {
    auto n = std::min(piece, bytes.size() - i);
    s.feed(bytes.data() + i, n, out);
  }
  s.flush(out);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(line_splitter_tests)

BOOST_AUTO_TEST_CASE(crlf_line_ends_drop_the_carriage_return) {
  BOOST_TEST(split("alpha\r\nbeta\r\n") == (lines{"alpha", "beta"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_crlf_cut_between_two_feeds_still_drops_the_carriage_return) {
  line_splitter s;
  lines out;
  s.feed("alpha\r", 6, out);
  BOOST_TEST(out.empty());
  s.feed("\nbeta", 5, out);
  BOOST_TEST(out == (lines{"alpha"}), boost::test_tools::per_element());
  BOOST_TEST(s.flush(out));
  BOOST_TEST(out == (lines{"alpha", "beta"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_carriage_return_inside_a_line_is_kept) {
  BOOST_TEST(split("a\rb\n\rc\n") == (lines{"a\rb", "\rc"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(empty_lines_are_lines) {
  BOOST_TEST(split("\n\r\n\nx\n\n") == (lines{"", "", "", "x", ""}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_unterminated_last_line_waits_for_flush) {
  line_splitter s;
  lines out;
  s.feed("one\ntwo", 7, out);
  BOOST_TEST(out == (lines{"one"}), boost::test_tools::per_element());
  BOOST_TEST(s.pending_bytes() == 3u);
  BOOST_TEST(s.flush(out));
  BOOST_TEST(out == (lines{"one", "two"}), boost::test_tools::per_element());
  BOOST_TEST(s.pending_bytes() == 0u);
  BOOST_TEST(!s.flush(out), "a second flush has nothing left");
  BOOST_TEST(out.size() == 2u);
}

BOOST_AUTO_TEST_CASE(flush_after_a_terminated_line_adds_nothing) {
  line_splitter s;
  lines out;
  s.feed("one\n", 4, out);
  BOOST_TEST(!s.flush(out));
  BOOST_TEST(out == (lines{"one"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_ten_mebibyte_line_fed_in_small_pieces_comes_out_whole) {
  std::string big(10u << 20, 'x');
  for (std::size_t i = 0; i < big.size(); i += 4099)
    big[i] = static_cast<char>('a' + i % 26);
  line_splitter s;
  lines out;
  constexpr std::size_t piece = 64 << 10;
  for (std::size_t i = 0; i < big.size(); i += piece)
    s.feed(big.data() + i, std::min(piece, big.size() - i), out);
  BOOST_TEST(out.empty());
  BOOST_TEST(s.pending_bytes() == big.size());
  s.feed("\r\nnext\n", 7, out);
  BOOST_REQUIRE(out.size() == 2u);
  BOOST_TEST((out[0] == big));
  BOOST_TEST(out[1] == "next");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_and_nul_bytes_pass_through_unchanged) {
  static constexpr char raw[] = "\xff\xfe\xc3\x28 \xe2\x82 \x00mid\x00 \xf0\x9f\x98\x80 \x80\xbf\r";
  const std::string weird(raw, sizeof raw - 1);
  BOOST_REQUIRE(weird.size() == 22u);
  std::string input = weird + "\n" + weird;  // terminated, then unterminated
  auto out = split(input);
  auto expect = weird.substr(0, weird.size() - 1);  // the trailing '\r' is a line end
  BOOST_REQUIRE(out.size() == 2u);
  BOOST_TEST((out[0] == expect));
  BOOST_TEST((out[1] == expect));
}

BOOST_AUTO_TEST_CASE(any_cut_of_the_input_into_pieces_gives_the_same_lines) {
  sluice::test::rng r{42};
  const char alphabet[] = {'a', 'b', '\n', '\r', ' ', '\xff', '\0'};
  for (int round = 0; round < 300; ++round) {
    std::string input;
    auto len = r.between(0, 200);
    for (uint64_t i = 0; i < len; ++i)
      input.push_back(alphabet[r.between(0, sizeof alphabet - 1)]);
    auto expect = sluice::test::expected_lines(input);
    for (std::size_t piece : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7},
                              std::size_t{64}, SIZE_MAX}) {
      BOOST_TEST_CONTEXT("round " << round << ", pieces of " << piece) {
        BOOST_TEST(split(input, piece) == expect, boost::test_tools::per_element());
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
