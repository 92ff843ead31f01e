// Child processes for the benches that run job binaries as separate processes (bench_cluster):
// a process with its stderr in a file or a pipe, CPU time and exit status; a pipe reader that
// timestamps each line; a coordinator with its workers; a scratch directory. Header-only.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/harness.hpp"

extern char** environ;

namespace sluice::bench {

// -- child processes ---------------------------------------------------------------------------

/// A child process; killed (SIGKILL) and reaped when still running at destruction, so a bench
/// that fails leaves no job processes behind.
class child {
 public:
  /// Starts argv[0] with stdout to /dev/null and stderr to `stderr_path`, or to `stderr_fd`
  /// when that is >= 0. Throws when the process cannot be started.
  child(const std::vector<std::string>& argv, const std::string& stderr_path, int stderr_fd = -1) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (stderr_fd >= 0)
      posix_spawn_file_actions_adddup2(&fa, stderr_fd, 2);
    else
      posix_spawn_file_actions_addopen(&fa, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                       0644);
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int rc = posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
      throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;
  ~child() {
    if (running()) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }
  bool running() const { return !exited_; }
  void signal(int sig) const {
    if (running())
      ::kill(pid_, sig);
  }
  /// Reaps the process if it has exited; true once it has.
  bool poll() {
    if (exited_)
      return true;
    rusage u{};
    int status = 0;
    if (::wait4(pid_, &status, WNOHANG, &u) != pid_)
      return false;
    exited_ = true;
    exit_time_ = clock_type::now();
    status_ = status;
    auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    cpu_ = s(u.ru_utime) + s(u.ru_stime);
    return true;
  }
  /// Waits (polling every millisecond) until the process exits; throws after `timeout`.
  void wait(std::chrono::milliseconds timeout, const std::string& what) {
    auto deadline = clock_type::now() + timeout;
    while (!poll()) {
      if (clock_type::now() > deadline)
        throw std::runtime_error(what + " did not exit within " + std::to_string(timeout.count()) +
                                 " ms");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  bool succeeded() const { return exited_ && WIFEXITED(status_) && WEXITSTATUS(status_) == 0; }
  std::string describe_exit() const {
    if (WIFEXITED(status_))
      return "exit code " + std::to_string(WEXITSTATUS(status_));
    return "signal " + std::to_string(WTERMSIG(status_));
  }
  clock_type::time_point exit_time() const { return exit_time_; }
  double cpu_seconds() const { return cpu_; }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = 0;
  clock_type::time_point exit_time_;
  double cpu_ = 0;
};

/// The coordinator's stderr, read by a thread that timestamps every line as it arrives.
class line_log {
 public:
  struct line {
    clock_type::time_point at;
    std::string text;
    std::size_t index = 0;  // in the order lines arrived
  };

  /// Creates the pipe; `write_fd()` goes to the child, then `start()` reads the other end.
  line_log() {
    if (::pipe2(fds_, O_CLOEXEC) != 0)
      throw std::runtime_error("cannot create a pipe");
  }
  ~line_log() {
    close_write_end();
    if (reader_.joinable())
      reader_.join();
    ::close(fds_[0]);
  }
  int write_fd() const { return fds_[1]; }
  /// Closes this process's copy of the write end (the child has its own) and starts reading.
  void start() {
    close_write_end();
    reader_ = std::thread([this] { read_all(); });
  }
  /// The first line from index `from` on containing `needle`, waiting up to `timeout`.
  std::optional<line> wait_for(const std::string& needle, std::size_t from,
                               std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    std::optional<line> found;
    cv_.wait_for(lock, timeout, [&] {
      for (auto i = from; i < lines_.size(); ++i)
        if (lines_[i].text.find(needle) != std::string::npos) {
          found = lines_[i];
          return true;
        }
      return eof_;
    });
    return found;
  }
  /// Non-blocking form of wait_for.
  std::optional<line> find(const std::string& needle, std::size_t from = 0) {
    return wait_for(needle, from, std::chrono::milliseconds(0));
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return lines_.size();
  }
  std::string all() {
    std::lock_guard lock(mutex_);
    std::string s;
    for (const auto& l : lines_)
      s += "  " + l.text + "\n";
    return s;
  }

 private:
  void close_write_end() {
    if (fds_[1] >= 0)
      ::close(fds_[1]);
    fds_[1] = -1;
  }
  void read_all() {
    std::string pending;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds_[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
      if (n < 0)
        continue;
      auto now = clock_type::now();
      pending.append(buf, static_cast<std::size_t>(n));
      std::lock_guard lock(mutex_);
      for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1))
        lines_.push_back({now, pending.substr(0, nl), lines_.size()});
      cv_.notify_all();
    }
    std::lock_guard lock(mutex_);
    eof_ = true;
    cv_.notify_all();
  }

  int fds_[2] = {-1, -1};
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<line> lines_;
  bool eof_ = false;
};

/// A coordinator and its workers. The coordinator's stderr is kept in `log`; each worker's goes
/// to a file in `dir` (printed when something fails).
struct cluster_run {
  line_log log;
  std::optional<child> coordinator;
  std::vector<std::unique_ptr<child>> workers;
  clock_type::time_point started;
  std::string dir;

  /// Starts `binary --role coordinator` with `job_flags` and `workers` workers of `slots` slots.
  void start(const std::string& binary, const std::vector<std::string>& job_flags, int n_workers,
             int slots, const std::string& log_dir) {
    dir = log_dir;
    std::vector<std::string> argv{binary,
                                  "--role",
                                  "coordinator",
                                  "--listen",
                                  "127.0.0.1:0",
                                  "--min-workers",
                                  std::to_string(n_workers)};
    argv.insert(argv.end(), job_flags.begin(), job_flags.end());
    started = clock_type::now();
    coordinator.emplace(argv, "", log.write_fd());
    log.start();
    auto listening = log.wait_for("coordinator listening on ", 0, std::chrono::seconds(30));
    if (!listening)
      throw std::runtime_error("the coordinator did not start listening:\n" + log.all());
    auto at = listening->text.substr(listening->text.find(" on ") + 4);
    at = at.substr(0, at.find_first_of(" \t"));
    for (int i = 0; i < n_workers; ++i)
      workers.push_back(
          std::make_unique<child>(std::vector<std::string>{binary, "--role", "worker", "--join", at,
                                                           "--slots", std::to_string(slots)},
                                  dir + "/worker-" + std::to_string(i) + ".err"));
  }
  /// Waits for the coordinator, then the workers; throws unless the coordinator exited with 0.
  void finish(std::chrono::milliseconds timeout) {
    coordinator->wait(timeout, "the coordinator");
    for (auto& w : workers)
      w->wait(std::chrono::seconds(30), "a worker");
    if (!coordinator->succeeded())
      throw std::runtime_error("the coordinator failed (" + coordinator->describe_exit() + "):\n" +
                               log.all() + worker_logs());
  }
  double cpu_seconds() const {
    double s = coordinator->cpu_seconds();
    for (const auto& w : workers)
      s += w->cpu_seconds();
    return s;
  }
  std::string worker_logs() const {
    std::string s;
    for (std::size_t i = 0; i < workers.size(); ++i) {
      std::ifstream f(dir + "/worker-" + std::to_string(i) + ".err");
      s += "worker " + std::to_string(i) + ":\n";
      for (std::string l; std::getline(f, l);)
        s += "  " + l + "\n";
    }
    return s;
  }
};

}  // namespace sluice::bench
