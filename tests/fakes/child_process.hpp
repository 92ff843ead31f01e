// Runs a binary as a separate process, the way a user or an operator would: arguments and extra
// environment in, stdin from /dev/null; stdout and stderr to files, read back; exit code or
// signal out. The test may SIGKILL the process at a chosen moment or on an event it watches for.
// Every wait has a hang guard (a process still running then is killed and reported as hung): the
// guard only stops a stuck test, nothing asserts on how long a run took. A child is SIGKILLed when
// the test process ends (PR_SET_PDEATHSIG), so a crashed or timed-out test leaks no process. Not
// thread-safe: one test thread starts and waits for its own processes (the death signal follows
// the thread that started the child).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/fakes/temp_dir.hpp"

extern char** environ;

namespace sluice::test {

/// How one run of a process ended, and what it wrote.
struct run_result {
  bool exited = false;               ///< returned from main / called exit()
  int code = -1;                     ///< exit code when `exited`
  int signal = 0;                    ///< the signal that ended it otherwise
  bool killed_by_test = false;       ///< the test sent the SIGKILL (at its chosen time)
  bool hung = false;                 ///< did not end within the hang guard, then killed
  std::string out;                   ///< everything it wrote to stdout
  std::string err;                   ///< everything it wrote to stderr
  std::chrono::milliseconds ran{0};  ///< wall time, to size random kill times (never asserted)

  bool succeeded() const { return exited && code == 0; }

  /// "exit 0", "signal 9 (sent by the test)", ... plus the stderr, for failure messages.
  std::string describe() const {
    std::string s = exited ? "exit " + std::to_string(code) : "signal " + std::to_string(signal);
    if (killed_by_test)
      s += " (sent by the test)";
    if (hung)
      s += " (hung: killed by the guard)";
    return s + "; stderr: " + err.substr(0, 3000);
  }
};

/// What to start. Every field says its default.
struct launch {
  std::string binary;             ///< path of the executable; none
  std::vector<std::string> args;  ///< after argv[0]; none
  /// "NAME=VALUE" variables set on top of the test's own environment (replacing a variable of
  /// the same name); none. SLUICE_FAULT is never inherited, only set here.
  std::vector<std::string> env;
  /// stdout to LOG_PREFIX.stdout, stderr to LOG_PREFIX.stderr, left there after the run; empty
  /// (the default): files in a temp dir removed after the run.
  std::string log_prefix;

  /// The shell-like command line, to reproduce a failure by hand.
  std::string command_line() const {
    std::string s;
    for (const auto& e : env)
      s += e + " ";
    s += binary;
    for (const auto& a : args)
      s += " " + a;
    return s;
  }

  /// Sets the value of `flag` ("--output"), replacing the one given before if any.
  void set_flag(const std::string& flag, const std::string& value) {
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
      if (args[i] == flag) {
        args[i + 1] = value;
        return;
      }
    args.push_back(flag);
    args.push_back(value);
  }
};

namespace child_process_detail {

/// The test's environment minus SLUICE_FAULT and the variables `extra` sets, plus `extra`.
inline std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env = extra;
  for (char** e = environ; *e; ++e) {
    std::string_view var{*e};
    auto name = var.substr(0, var.find('=') + 1);  // "NAME="
    bool replaced = name == "SLUICE_FAULT=";
    for (const auto& x : extra)
      replaced = replaced || x.rfind(name, 0) == 0;
    if (!replaced)
      env.emplace_back(var);
  }
  return env;
}

inline std::vector<char*> c_strings(std::vector<std::string>& xs) {
  std::vector<char*> out;
  for (auto& x : xs)
    out.push_back(x.data());
  out.push_back(nullptr);
  return out;
}

/// Forks and execs `l` with stdout and stderr to `out_path` and `err_path`. The child dies with
/// the test process.
inline pid_t start(const launch& l, const std::string& out_path, const std::string& err_path) {
  std::vector<std::string> argv_s{l.binary};
  argv_s.insert(argv_s.end(), l.args.begin(), l.args.end());
  auto env_s = child_environment(l.env);
  auto argv = c_strings(argv_s);  // prepared before fork: the child only calls async-safe functions
  auto envp = c_strings(env_s);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error(std::string{"fork failed: "} + std::strerror(errno));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)  // the test ended before the death signal was armed
      ::_exit(125);
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0)
      ::_exit(126);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::execve(l.binary.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

/// Sets how it ended (`exited`, `code`, `signal`) from a waitpid status.
inline void record_status(run_result& r, int status) {
  r.exited = WIFEXITED(status);
  r.code = r.exited ? WEXITSTATUS(status) : -1;
  r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/// Starts `l` and waits for it until `kill_now(elapsed)` holds (SIGKILL then, by the test) or
/// `limit` passes (the hang guard).
inline run_result supervise(const launch& l,
                            const std::function<bool(std::chrono::milliseconds)>& kill_now,
                            std::chrono::seconds limit) {
  using clock_type = std::chrono::steady_clock;
  temp_dir io;  // only used without a log prefix
  auto prefix = l.log_prefix.empty() ? io / "run" : l.log_prefix;
  auto out_path = prefix + ".stdout";
  auto err_path = prefix + ".stderr";
  run_result r;
  pid_t pid = start(l, out_path, err_path);
  auto started = clock_type::now();
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid)
      break;
    if (done < 0 && errno != EINTR)
      throw std::runtime_error(std::string{"waitpid failed: "} + std::strerror(errno));
    auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - started);
    bool chosen = kill_now(elapsed);
    if (chosen || elapsed >= limit) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      // It may have ended on its own between the last poll and the kill.
      r.killed_by_test = chosen && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
      r.hung = !chosen;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  r.ran = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - started);
  record_status(r, status);
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  return r;
}

}  // namespace child_process_detail

/// Runs to the end. `limit` is the hang guard.
inline run_result run_to_end(const launch& l,
                             std::chrono::seconds limit = std::chrono::seconds(180)) {
  return child_process_detail::supervise(
      l, [](std::chrono::milliseconds) { return false; }, limit);
}

/// Runs and SIGKILLs the process `kill_at` after its start, unless it ended before (then
/// `killed_by_test` is false and the outcome is its own).
inline run_result run_and_kill_at(const launch& l, std::chrono::milliseconds kill_at,
                                  std::chrono::seconds limit = std::chrono::seconds(180)) {
  return child_process_detail::supervise(
      l, [&](std::chrono::milliseconds elapsed) { return elapsed >= kill_at; }, limit);
}

/// Runs and SIGKILLs the process as soon as `condition()` (polled about every millisecond, e.g.
/// for a file the job writes) holds, unless it ended before.
inline run_result run_and_kill_when(const launch& l, const std::function<bool()>& condition,
                                    std::chrono::seconds limit = std::chrono::seconds(180)) {
  return child_process_detail::supervise(
      l, [&](std::chrono::milliseconds) { return condition(); }, limit);
}

/// Runs `binary` with `args` and `env` (as in `launch`) to the end, output captured in a temp
/// dir. A run that does not end within `limit` is killed.
inline run_result run(const std::string& binary, const std::vector<std::string>& args,
                      const std::vector<std::string>& env = {},
                      std::chrono::seconds limit = std::chrono::seconds(120)) {
  return run_to_end(launch{binary, args, env, ""}, limit);
}

}  // namespace sluice::test
