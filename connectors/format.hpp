// How sinks turn records into text lines: strings as they are, numbers in decimal, pairs and
// tuples as tab-separated fields (so a (word, count) row prints as "word<TAB>count"). Add a type
// by overloading `format_field(std::string&, const YourType&)` in its namespace, or pass a
// formatter to the sink.
#pragma once

#include <charconv>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace sluice {

inline void format_field(std::string& out, std::string_view s) { out.append(s); }
inline void format_field(std::string& out, const std::string& s) { out.append(s); }
inline void format_field(std::string& out, const char* s) { out.append(s); }

template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
void format_field(std::string& out, T x) {
  if constexpr (std::is_same_v<T, bool>) {
    out.append(x ? "true" : "false");
  } else {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
    out.append(buf, end);
  }
}

template <class A, class B>
void format_field(std::string& out, const std::pair<A, B>& p) {
  format_field(out, p.first);
  out.push_back('\t');
  format_field(out, p.second);
}

template <class... Ts>
void format_field(std::string& out, const std::tuple<Ts...>& t) {
  bool first = true;
  std::apply(
      [&](const auto&... xs) {
        ((first ? void(first = false) : out.push_back('\t'), format_field(out, xs)), ...);
      },
      t);
}

/// Default formatter of sinks: appends the record's line (without newline) to `out`.
struct default_formatter {
  template <class T>
  void operator()(std::string& out, const T& x) const {
    format_field(out, x);
  }
};

}  // namespace sluice
