// Runs an example binary as a separate process, the way an operator would: arguments and extra
// environment in; stdout and stderr to files; the test may SIGKILL it at a chosen moment or on an
// event it watches for. Every wait has a hang guard (a process still running after it is killed
// and reported as hung): the guard only stops a stuck test, nothing asserts on how long a run took.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace sluice::fault_test {

/// How one run of a process ended.
struct run_outcome {
  bool exited = false;               ///< returned from main / called exit()
  int code = -1;                     ///< exit code when `exited`
  int signal = 0;                    ///< the signal that ended it otherwise
  bool killed_by_test = false;       ///< the test sent the SIGKILL (at its chosen time)
  bool hung = false;                 ///< still running at the hang guard, then killed
  std::string err;                   ///< everything it wrote to stderr
  std::chrono::milliseconds ran{0};  ///< wall time, to size random kill times (never asserted)

  bool succeeded() const { return exited && code == 0; }
  /// "exit 0", "signal 9 (sent by the test)", ... plus the stderr, for failure messages.
  std::string describe() const;
};

/// What to start: the binary, its arguments, variables added to the test's own environment (as
/// "NAME=VALUE"; SLUICE_FAULT is never inherited, only set here), and where output goes.
struct launch {
  std::string binary;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string log_prefix;  ///< stdout to LOG_PREFIX.stdout, stderr to LOG_PREFIX.stderr

  /// The shell-like command line, to reproduce a failure by hand.
  std::string command_line() const;
  /// Sets the value of `flag` ("--output"), replacing the one given before if any.
  void set_flag(const std::string& flag, const std::string& value);
};

/// Runs to the end. `limit` is the hang guard.
run_outcome run_to_end(const launch& l, std::chrono::seconds limit = std::chrono::seconds(180));

/// Runs and SIGKILLs the process `kill_at` after its start, unless it ended before (then
/// `killed_by_test` is false and the outcome is its own).
run_outcome run_and_kill_at(const launch& l, std::chrono::milliseconds kill_at,
                            std::chrono::seconds limit = std::chrono::seconds(180));

/// Runs and SIGKILLs the process as soon as `condition()` (polled about every millisecond, e.g.
/// for a file the job writes) holds, unless it ended before.
run_outcome run_and_kill_when(const launch& l, const std::function<bool()>& condition,
                              std::chrono::seconds limit = std::chrono::seconds(180));

}  // namespace sluice::fault_test
