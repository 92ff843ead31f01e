#include "tests/fault_injection/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <stdexcept>
#include <thread>

#include "tests/fault_injection/scratch_dir.hpp"

extern char** environ;

namespace sluice::fault_test {

namespace {

using clock_type = std::chrono::steady_clock;

/// The test's environment minus SLUICE_FAULT, plus `extra`.
std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "SLUICE_FAULT=", 13) != 0)
      env.emplace_back(*e);
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& xs) {
  std::vector<char*> out;
  for (auto& x : xs)
    out.push_back(x.data());
  out.push_back(nullptr);
  return out;
}

pid_t start(const launch& l) {
  std::vector<std::string> argv_s{l.binary};
  argv_s.insert(argv_s.end(), l.args.begin(), l.args.end());
  auto env_s = child_environment(l.env);
  auto argv = c_strings(argv_s);  // prepared before fork: the child only calls async-safe functions
  auto envp = c_strings(env_s);
  auto out_path = l.log_prefix + ".stdout";
  auto err_path = l.log_prefix + ".stderr";
  pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error(std::string{"fork failed: "} + std::strerror(errno));
  if (pid == 0) {
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

/// Waits for `pid` until `kill_now(elapsed)` holds (SIGKILL then, by the test) or `limit` (hang
/// guard).
run_outcome supervise(const launch& l, pid_t pid,
                      const std::function<bool(std::chrono::milliseconds)>& kill_now,
                      std::chrono::seconds limit) {
  run_outcome r;
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
      if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
        r.killed_by_test = chosen;
        r.hung = !chosen;
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  r.ran = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - started);
  r.exited = WIFEXITED(status);
  r.code = r.exited ? WEXITSTATUS(status) : -1;
  r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  r.err = read_file(l.log_prefix + ".stderr");
  return r;
}

}  // namespace

std::string run_outcome::describe() const {
  std::string s = exited ? "exit " + std::to_string(code) : "signal " + std::to_string(signal);
  if (killed_by_test)
    s += " (sent by the test)";
  if (hung)
    s += " (hung: killed by the guard)";
  return s + "; stderr: " + err.substr(0, 3000);
}

std::string launch::command_line() const {
  std::string s;
  for (const auto& e : env)
    s += e + " ";
  s += binary;
  for (const auto& a : args)
    s += " " + a;
  return s;
}

void launch::set_flag(const std::string& flag, const std::string& value) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == flag) {
      args[i + 1] = value;
      return;
    }
  args.push_back(flag);
  args.push_back(value);
}

run_outcome run_to_end(const launch& l, std::chrono::seconds limit) {
  return supervise(
      l, start(l), [](std::chrono::milliseconds) { return false; }, limit);
}

run_outcome run_and_kill_at(const launch& l, std::chrono::milliseconds kill_at,
                            std::chrono::seconds limit) {
  return supervise(
      l, start(l), [&](std::chrono::milliseconds elapsed) { return elapsed >= kill_at; }, limit);
}

run_outcome run_and_kill_when(const launch& l, const std::function<bool()>& condition,
                              std::chrono::seconds limit) {
  return supervise(
      l, start(l), [&](std::chrono::milliseconds) { return condition(); }, limit);
}

}  // namespace sluice::fault_test
