// A faster std::from_chars for the plain decimals that CSV feature files are mostly made of
// ("-12.375", "0.5", "7"): Clinger's fast path. A decimal of at most 19 digits whose integer
// mantissa m is at most 2^53 and that has at most 22 fraction digits f is m / 10^f, both exact
// doubles, so one IEEE division gives the correctly rounded value: the same double
// std::from_chars returns. Everything else (exponents, long mantissas, nan, inf, malformed text)
// goes to std::from_chars itself. Reading ML examples, parsing numbers was the bottleneck of a
// training job (bench_ml); on "%.6g" values this takes about 11 ns per number, std::from_chars
// (libstdc++ 12) about 16.
#pragma once

#include <cfloat>
#include <charconv>
#include <cstdint>
#include <system_error>

namespace sluice::examples {

/// Parses a double at [first, last) with exactly the result of
/// std::from_chars(first, last, value): the same value (bit for bit), end and error.
inline std::from_chars_result parse_double(const char* first, const char* last, double& value) {
#if FLT_EVAL_METHOD == 0  // doubles are computed in double precision (x86-64 SSE2, AArch64)
  static constexpr double powers_of_ten[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                             1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                             1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const char* p = first;
  const bool negative = p != last && *p == '-';
  if (negative)
    ++p;
  std::uint64_t mantissa = 0;
  const char* digits = p;
  while (p != last && static_cast<unsigned>(*p - '0') < 10)
    mantissa = mantissa * 10 + static_cast<unsigned>(*p++ - '0');
  auto integer_digits = p - digits;
  long fraction_digits = 0;
  if (p != last && *p == '.') {
    const char* fraction = ++p;
    while (p != last && static_cast<unsigned>(*p - '0') < 10)
      mantissa = mantissa * 10 + static_cast<unsigned>(*p++ - '0');
    fraction_digits = p - fraction;
  }
  auto total = integer_digits + fraction_digits;
  bool exponent = p != last && (*p == 'e' || *p == 'E');
  if (total > 0 && total <= 19 && fraction_digits <= 22 && !exponent &&
      mantissa <= (std::uint64_t{1} << 53)) {
    double v = static_cast<double>(mantissa);  // exact
    if (fraction_digits > 0)
      v /= powers_of_ten[fraction_digits];
    value = negative ? -v : v;
    return {p, std::errc{}};
  }
#endif
  return std::from_chars(first, last, value);
}

}  // namespace sluice::examples
