#include "actors/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace sluice::actors {

namespace {

std::string human(double x, const char* unit) {
  const char* prefixes[] = {"", "k", "M", "G", "T"};
  int i = 0;
  while (x >= 1000 && i < 4) {
    x /= 1000;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, i == 0 ? "%.0f %s%s" : "%.1f %s%s", x, prefixes[i], unit);
  return buf;
}

}  // namespace

progress_printer::progress_printer(const physical_plan& plan)
    : plan_(plan), tty_(isatty(STDERR_FILENO) != 0) {}

void progress_printer::tick(const std::vector<task_metrics>& tasks, double seconds) {
  if (seconds - last_print_ < 1.0)
    return;
  print(tasks, seconds, false);
}

void progress_printer::finish(const std::vector<task_metrics>& tasks, double seconds) {
  print(tasks, seconds, true);
}

void progress_printer::print(const std::vector<task_metrics>& tasks, double seconds,
                             bool final_line) {
  uint64_t bytes = 0, total = 0, records = 0, bp_ns = 0;
  std::size_t sources = 0;
  for (std::size_t i = 0; i < tasks.size() && i < plan_.tasks.size(); ++i) {
    if (plan_.tasks[i].kind != task_kind::source)
      continue;
    ++sources;
    bytes += tasks[i].bytes_read;
    total += tasks[i].bytes_total;
    records += tasks[i].records_in;
    bp_ns += tasks[i].backpressure_ns;
  }
  double dt = seconds - last_seconds_;
  double rate = final_line ? (seconds > 0 ? records / seconds : 0)
                           : (dt > 0 ? (records - last_records_) / dt : 0);
  char when[32];
  std::snprintf(when, sizeof when, "%.1f s", seconds);
  std::string line = std::string{"[sluice] "} + when;
  line += "  read " + human(static_cast<double>(bytes), "B");
  if (total > 0)
    line += " of " + human(static_cast<double>(total), "B") + " (" +
            std::to_string(total ? bytes * 100 / total : 0) + "%)";
  line += "  " + human(static_cast<double>(records), "records") + "  " +
          human(rate, final_line ? "records/s avg" : "records/s");
  if (sources > 0 && seconds > 0)
    line += "  backpressure " +
            std::to_string(static_cast<int>(bp_ns / 1e9 / sources / seconds * 100)) + "%";
  if (tty_ && !final_line)
    std::fprintf(stderr, "\r%-100s", line.c_str());
  else
    std::fprintf(stderr, "%s%s\n", tty_ ? "\r" : "", line.c_str());
  std::fflush(stderr);
  last_print_ = seconds;
  last_records_ = records;
  last_seconds_ = seconds;
}

}  // namespace sluice::actors
