// What every benchmark shares: wall and CPU clocks, the machine's load (printed so that a noisy
// run can be told apart) and medians. Header-only; the benches are single files otherwise.
#pragma once

#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
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

/// A fresh directory under the system temp dir ("PREFIX-XXXXXX"), removed with everything in it
/// when this goes out of scope.
struct temp_dir {
  std::filesystem::path path;
  explicit temp_dir(const std::string& prefix = "sluice-bench") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (!::mkdtemp(tmpl.data()))
      throw std::runtime_error("cannot create a temporary directory");
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

}  // namespace sluice::bench
