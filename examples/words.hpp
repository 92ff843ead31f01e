// Word splitting shared by the word count examples and benchmark: a word is a maximal run of
// bytes that are not ASCII whitespace (space, \t, \n, \v, \f, \r). Case-sensitive; bytes are
// kept as they are, so invalid UTF-8 passes through unharmed.
#pragma once

#include <string_view>

namespace sluice::examples {

inline bool is_ascii_space(unsigned char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

/// Calls f(std::string_view) for every word of `line`.
template <class F>
void for_each_word(std::string_view line, F&& f) {
  const char* p = line.data();
  const char* end = p + line.size();
  while (p < end) {
    while (p < end && is_ascii_space(static_cast<unsigned char>(*p)))
      ++p;
    const char* start = p;
    while (p < end && !is_ascii_space(static_cast<unsigned char>(*p)))
      ++p;
    if (p > start)
      f(std::string_view(start, static_cast<std::size_t>(p - start)));
  }
}

}  // namespace sluice::examples
