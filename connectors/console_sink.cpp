#include "connectors/console_sink.hpp"

#include <unistd.h>

#include <cerrno>
#include <mutex>

namespace sluice {

void console_write(const std::string& text) {
  static std::mutex m;
  std::lock_guard<std::mutex> guard{m};
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    auto n = ::write(STDOUT_FILENO, p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return;  // stdout closed (e.g. piped into head): nothing sensible left to do
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace sluice
