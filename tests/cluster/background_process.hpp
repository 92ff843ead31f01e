// A process the test starts and leaves running while it starts others (a coordinator and its
// workers), then watches, signals, kills or waits for. Launching is tests/fakes/child_process.hpp's
// (same `launch`, same `run_result`); what this adds is a handle that outlives the call, and
// stderr that can be read while the process runs. Every wait has a hang guard (a process still
// running then is killed and reported as hung); nothing asserts on how long anything took.
// Lifecycle: started by the constructor; the destructor SIGKILLs and reaps a process still running
// (stopped ones too), so a failing test leaks none. Not thread-safe: one test thread owns it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "tests/fakes/child_process.hpp"

namespace sluice::cluster_test {

class background_process {
 public:
  /// Starts `l`. Its stdout and stderr go to `l.log_prefix`.stdout/.stderr, which must be set
  /// (others read the stderr while the process runs); throws std::invalid_argument otherwise.
  explicit background_process(test::launch l);
  ~background_process();
  background_process(const background_process&) = delete;
  background_process& operator=(const background_process&) = delete;

  const test::launch& launch() const { return launch_; }
  pid_t pid() const { return pid_; }

  /// Whether it still runs (a stopped process runs); reaps it when it ended.
  bool running();
  /// What it wrote to stderr so far.
  std::string err() const;

  /// Polls about every millisecond until `condition()` holds (true), the process ends or
  /// `limit` passes (false).
  bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit);
  /// wait_until its stderr contains `needle`.
  bool wait_for_err(const std::string& needle, std::chrono::milliseconds limit);

  /// SIGSTOP / SIGCONT (no-ops once it ended).
  void stop();
  void resume();
  /// SIGKILLs it now (unless it ended before: then `killed_by_test` stays false) and reaps it.
  void kill();

  /// Waits until it ends (or kills it at `limit`, the hang guard) and returns how it ended and
  /// what it wrote. Calling it again returns the same result.
  test::run_result wait(std::chrono::seconds limit = std::chrono::seconds(120));

 private:
  void reaped(int status);

  test::launch launch_;
  pid_t pid_ = -1;
  std::chrono::steady_clock::time_point started_;
  std::optional<test::run_result> result_;  ///< set once reaped (out and err read by wait())
};

}  // namespace sluice::cluster_test
