// parse_double, the ML examples' number parser, must give exactly what std::from_chars gives:
// the same double bit for bit, the same end and the same error, on plain decimals (its fast
// path) and on everything else (where it defers to std::from_chars).
#include <boost/test/unit_test.hpp>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "examples/ml_common.hpp"
#include "examples/parse_number.hpp"

namespace {

void expect_same_as_from_chars(const std::string& text) {
  const char* first = text.data();
  const char* last = first + text.size();
  double ours = 12345, theirs = 12345;
  auto a = sluice::examples::parse_double(first, last, ours);
  auto b = std::from_chars(first, last, theirs);
  BOOST_TEST((a.ec == b.ec), "error differs for \"" << text << "\"");
  BOOST_TEST((a.ptr == b.ptr), "end differs for \"" << text << "\"");
  if (b.ec == std::errc{})
    BOOST_TEST(std::memcmp(&ours, &theirs, sizeof ours) == 0,
               "value differs for \"" << text << "\": " << ours << " vs " << theirs);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(parse_number)

BOOST_AUTO_TEST_CASE(edge_cases_parse_exactly_as_from_chars) {
  for (const char* t :
       {"0", "-0", "0.0", "-0.0", "5.", "-5.", ".5", "-.5", ".", "-", "", "-x", "1,2", "1 ", "12e",
        "1e5", "1E-5", "-2.5e+3", "1e400", "1e-400", "nan", "-nan", "inf", "-inf", "infinity",
        "0x1p3", "007", "000.000123", "9007199254740992", "9007199254740993", "9007199254740993.0",
        "1234567890123456789", "12345678901234567890", "0.1234567890123456789012",
        "0.0000000000000000000001", "0.00000000000000000000001", "123456.7890123456",
        "18446744073709551615", "18446744073709551616", "99999999999999999999.5", "+1", " 1",
        "1.5.5", "--1", "4.9406564584124654e-324", "2.2250738585072014e-308",
        "1.7976931348623157e308", "0.30000000000000004", "0.1", "0.2", "0.3", "3.14159"})
    expect_same_as_from_chars(t);
}

BOOST_AUTO_TEST_CASE(random_decimals_parse_exactly_as_from_chars) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> magnitude(-30, 30);
  char buf[64];
  for (int i = 0; i < 200000; ++i) {
    double v = std::pow(10.0, magnitude(rng)) * (rng() % 2 ? -1 : 1);
    int precision = static_cast<int>(rng() % 20) + 1;
    switch (rng() % 4) {
      case 0: std::snprintf(buf, sizeof buf, "%.*g", precision, v); break;
      case 1: std::snprintf(buf, sizeof buf, "%.*f", precision, v / 1e20); break;
      case 2: std::snprintf(buf, sizeof buf, "%.*e", precision, v); break;
      default: {  // random digit strings with a point somewhere: mantissas near 2^53 and above
        std::string s = rng() % 2 ? "-" : "";
        int n = static_cast<int>(rng() % 24) + 1, point = static_cast<int>(rng() % (n + 1));
        for (int d = 0; d < n; ++d) {
          if (d == point)
            s += '.';
          s += static_cast<char>('0' + rng() % 10);
        }
        std::snprintf(buf, sizeof buf, "%s", s.c_str());
      }
    }
    expect_same_as_from_chars(buf);
  }
}

BOOST_AUTO_TEST_CASE(csv_rows_keep_their_acceptance_rules) {
  using sluice::examples::parse_csv_example;
  auto ok = parse_csv_example(" 1.5 , -2,3\r", true, 0);
  BOOST_TEST_REQUIRE(ok.value.has_value());
  BOOST_TEST((ok.value->features == std::vector<double>{1.5, -2}));
  BOOST_TEST(ok.value->label == 3.0);
  BOOST_TEST(ok.value->id == " 1.5 , -2,3\r");
  BOOST_TEST(parse_csv_example("1,,2", false, 0).error == "field 2 is not a number");
  BOOST_TEST(parse_csv_example("1, ,2", false, 0).error == "field 2 is not a number");
  BOOST_TEST(parse_csv_example("1,2 3", false, 0).error == "field 2 is not a number");
  BOOST_TEST(parse_csv_example("1,2,", false, 0).error == "field 3 is not a number");
  BOOST_TEST(parse_csv_example("1,abc", false, 0).error == "field 2 is not a number");
  BOOST_TEST(parse_csv_example("1,nan", false, 0).error == "field 2 is not finite");
  BOOST_TEST(parse_csv_example("1e999,1", false, 0).error == "field 1 is not a number");
  BOOST_TEST(parse_csv_example("", false, 0).error == "empty line");
  BOOST_TEST(parse_csv_example("1,2", false, 3).error == "expected 3 features, got 2");
}

BOOST_AUTO_TEST_SUITE_END()
