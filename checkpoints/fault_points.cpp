#include "checkpoints/fault_points.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace sluice::checkpoints {

namespace {

struct fault_config {
  std::string name;
  long countdown = 0;
  bool armed = false;

  fault_config() {
    const char* v = std::getenv("SLUICE_FAULT");
    if (!v || !*v)
      return;
    std::string s = v;
    auto colon = s.find(':');
    name = s.substr(0, colon);
    countdown = colon == std::string::npos ? 1 : std::atol(s.c_str() + colon + 1);
    armed = countdown > 0;
  }
};

fault_config& config() {
  static fault_config c;
  return c;
}

std::atomic<long> hits{0};

}  // namespace

void fault_point(const char* name) {
  auto& c = config();
  if (!c.armed || c.name != name)
    return;
  auto n = hits.fetch_add(1) + 1;
  if (n < c.countdown)
    return;
  if (n > c.countdown) {
    // Another thread reached the point first and is killing the process: this one must not
    // run past it (that would be one more commit than the test's count allows).
    for (;;)
      ::pause();
  }
  std::fprintf(stderr, "sluice: fault point %s reached: SIGKILL\n", name);
  std::fflush(stderr);
  ::kill(::getpid(), SIGKILL);
}

}  // namespace sluice::checkpoints
