// What every benchmark shares: wall and CPU clocks, the machine's load (printed so that a noisy
// run can be told apart) and medians. Header-only; the benches are single files otherwise.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

namespace sluice::bench {

using clock_type = std::chrono::steady_clock;

inline double seconds_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

inline double seconds_since(clock_type::time_point t0) {
  return seconds_between(t0, clock_type::now());
}

/// CPU time (user + system) of the whole process so far. It depends much less than wall time on
/// what else runs on the machine, so it shows how much work a run costs.
inline double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

/// The 1-minute load average.
inline std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string one;
  return f >> one ? one : std::string{"?"};
}

inline double median(std::vector<double> xs) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto n = xs.size();
  return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

}  // namespace sluice::bench
