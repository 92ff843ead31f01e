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
  if (hits.fetch_add(1) + 1 < c.countdown)
    return;
  std::fprintf(stderr, "sluice: fault point %s reached: SIGKILL\n", name);
  std::fflush(stderr);
  ::kill(::getpid(), SIGKILL);
}

}  // namespace sluice::checkpoints
