// Prints a job's progress to stderr about once a second: input consumed (and how much of it, when
// the size is known), records read and their rate, and how much of the time sources were held
// back by backpressure. Called by the coordinator only.
#pragma once

#include <cstdint>
#include <vector>

#include "actors/messages.hpp"
#include "actors/physical_plan.hpp"

namespace sluice::actors {

class progress_printer {
 public:
  explicit progress_printer(const physical_plan& plan);
  void tick(const std::vector<task_metrics>& tasks, double seconds);
  void finish(const std::vector<task_metrics>& tasks, double seconds);

 private:
  void print(const std::vector<task_metrics>& tasks, double seconds, bool final_line);

  const physical_plan& plan_;
  double last_print_ = 0;
  uint64_t last_records_ = 0;
  double last_seconds_ = 0;
  bool tty_;
};

}  // namespace sluice::actors
