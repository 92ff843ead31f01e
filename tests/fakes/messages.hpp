// Checks on error messages: what a call throws, and whether a message names something.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

namespace sluice::test {

/// The message of the std::runtime_error `f` throws, or "" when it throws nothing.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace sluice::test
