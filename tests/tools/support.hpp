// Helpers of the tool tests: run a binary (arguments and environment in; exit status, stdout and
// stderr out), scratch directories, and checkpoint directories made by really running
// examples/account_balances — once run to its end and restarted, once killed right after its
// first checkpoint.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace sluice::test {

inline const std::string sluice_binary = SLUICE_BINARY_DIR "/tools/sluice";
inline const std::string account_balances_binary = SLUICE_BINARY_DIR "/examples/account_balances";

/// A fresh directory under the system temp dir, removed with everything in it on destruction.
class temp_dir {
 public:
  temp_dir() {
    auto tmpl = (std::filesystem::temp_directory_path() / "sluice-tools-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
      throw std::runtime_error("mkdtemp failed for " + tmpl);
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f)
    throw std::runtime_error("cannot write " + path);
}

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string::npos)
      nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

/// How a finished child process ended, and what it wrote.
struct run_result {
  bool exited = false;  ///< ended by returning from main / exit(), not by a signal
  int code = -1;        ///< exit code when `exited`
  int signal = 0;       ///< the signal that ended it otherwise
  bool timed_out = false;
  std::string out;
  std::string err;

  /// For failure messages.
  std::string describe() const {
    std::string s = exited ? "exit " + std::to_string(code) : "signal " + std::to_string(signal);
    if (timed_out)
      s += " (killed: did not finish)";
    return s + "; stderr: " + err.substr(0, 2000);
  }
};

/// Runs `binary` with `args` and this process's environment plus `env` ("NAME=value"), stdin
/// from /dev/null, stdout and stderr captured. A run that does not end within `limit` is killed
/// (a hang guard, never a measured time).
inline run_result run(const std::string& binary, const std::vector<std::string>& args,
                      const std::vector<std::string>& env = {},
                      std::chrono::seconds limit = std::chrono::seconds(120)) {
  temp_dir io;
  auto out_path = io / "stdout";
  auto err_path = io / "stderr";
  std::vector<std::string> argv_s{binary};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s = env;
  for (char** e = environ; *e; ++e) {
    std::string_view var{*e};
    auto name = var.substr(0, var.find('=') + 1);
    bool overridden = std::any_of(env.begin(), env.end(),
                                  [&](const std::string& v) { return v.rfind(name, 0) == 0; });
    if (!overridden)
      env_s.emplace_back(var);
  }
  std::vector<char*> envp;
  for (auto& e : env_s)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0)
      ::_exit(126);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::execve(binary.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  run_result r;
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid)
      break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.exited = WIFEXITED(status);
  r.code = r.exited ? WEXITSTATUS(status) : -1;
  r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  return r;
}

/// Runs the tool in UTC, so that the times it prints can be checked exactly.
inline run_result run_sluice(const std::vector<std::string>& args) {
  return run(sluice_binary, args, {"TZ=UTC"});
}

/// A checkpoint directory left by real runs of account_balances, with the input they read.
struct job_run {
  temp_dir dir;
  std::string input = dir / "transactions.csv";
  std::string output = dir / "out";
  std::string checkpoints = dir / "checkpoints";

  explicit job_run(std::size_t lines) {
    std::string text;
    for (std::size_t i = 0; i < lines; ++i) {
      auto amount = static_cast<int64_t>(i * 37 % 1000) - 500;
      text.append("t").append(std::to_string(i)).append(",acct").append(std::to_string(i % 7));
      text.append(",").append(std::to_string(amount)).append("\n");
    }
    write_file(input, text);
  }

  /// account_balances on this run's input, output and checkpoint directory, with `flags` added
  /// and `env` (e.g. a SLUICE_FAULT that kills it at a named point).
  run_result run_job(const std::vector<std::string>& flags = {},
                     const std::vector<std::string>& env = {}) const {
    std::vector<std::string> args{"--input", input, "--output", output, "--checkpoint-dir",
                                  checkpoints, "--checkpoint-interval-ms", "20"};
    args.insert(args.end(), flags.begin(), flags.end());
    return run(account_balances_binary, args, env);
  }
};

/// 3000 transactions read with --follow (so the job never ends by itself), killed (SIGKILL, by
/// the fault point) right after writing the manifest of its first checkpoint, before its sinks
/// committed: chk-1 is not final and holds source positions and pending commits. Made once.
inline const job_run& crashed_job() {
  static const std::unique_ptr<job_run> job = [] {
    auto j = std::make_unique<job_run>(3000);
    auto r = j->run_job({"--follow"}, {"SLUICE_FAULT=coordinator_after_manifest:1"});
    if (r.exited || r.signal != SIGKILL)
      throw std::runtime_error("account_balances was to be killed after its first manifest: " +
                               r.describe());
    return j;
  }();
  return *job;
}

/// 3000 transactions run to their end, then the same command again: the restart restores the
/// final checkpoint and writes another, so there are at least two and the newest is final.
/// Made once.
inline const job_run& finished_job() {
  static const std::unique_ptr<job_run> job = [] {
    auto j = std::make_unique<job_run>(3000);
    for (const char* which : {"first run", "restart"}) {
      auto r = j->run_job();
      if (!r.exited || r.code != 0)
        throw std::runtime_error(std::string("account_balances, ") + which + ": " + r.describe());
    }
    return j;
  }();
  return *job;
}

/// Ids of the checkpoints of `dir` that have a manifest, ascending, found without the library.
inline std::vector<uint64_t> manifest_ids(const std::string& dir) {
  std::vector<uint64_t> ids;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (name.rfind("chk-", 0) == 0 && std::filesystem::exists(e.path() / "manifest.json"))
      ids.push_back(std::stoull(name.substr(4)));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

inline std::string manifest_path(const std::string& dir, uint64_t id) {
  return dir + "/chk-" + std::to_string(id) + "/manifest.json";
}

inline nlohmann::json manifest_json(const std::string& dir, uint64_t id) {
  return nlohmann::json::parse(read_file(manifest_path(dir, id)));
}

/// A copy of `dir` in `into`, for a test that damages it.
inline std::string copy_of(const std::string& dir, const temp_dir& into) {
  auto copy = into / "checkpoints";
  std::filesystem::copy(dir, copy, std::filesystem::copy_options::recursive);
  return copy;
}

}  // namespace sluice::test
