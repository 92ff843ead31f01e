// Helpers of the tool tests: run the tool, and checkpoint directories made by really running
// examples/account_balances — once run to its end and restarted, once killed right after its
// first checkpoint. The process runner, scratch directory, file helpers and checkpoint ids come
// from tests/fakes.
#pragma once

#include <signal.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/fakes/checkpoint_dir.hpp"
#include "tests/fakes/child_process.hpp"
#include "tests/fakes/temp_dir.hpp"

namespace sluice::test {

inline const std::string sluice_binary = SLUICE_BINARY_DIR "/tools/sluice";
inline const std::string account_balances_binary = SLUICE_BINARY_DIR "/examples/account_balances";

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
