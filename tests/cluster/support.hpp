// What the cluster tests share: the ledger they run account_balances on (the fault-injection
// ledger machinery: generation, record-by-record checks of the committed output), the binaries,
// and the committed files of an output directory seen from outside.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/cluster/cluster.hpp"
#include "tests/fakes/checkpoint_dir.hpp"
#include "tests/fakes/rng.hpp"
#include "tests/fault_injection/checkpoint_files.hpp"
#include "tests/fault_injection/ledger_job.hpp"

namespace sluice::cluster_test {

inline const std::string wordcount_binary = SLUICE_BINARY_DIR "/examples/wordcount";
inline const std::string kjv_path = SLUICE_SOURCE_DIR "/examples/data/kjv.txt";

/// About a second of work across two nodes here, long enough for several checkpoints before the
/// end (checkpoints every 50 ms by default in ledger_job).
constexpr uint64_t ledger_lines = 3'000'000;

/// Hang guards: a process still running then is killed (the test fails); never asserted on.
constexpr std::chrono::seconds run_guard{120};
constexpr std::chrono::milliseconds event_guard{60'000};

/// Every file of `dir` (hidden in-progress ones too) with its size; none when it does not exist.
inline std::map<std::string, uintmax_t> files_in(const std::string& dir) {
  std::map<std::string, uintmax_t> out;
  std::error_code ec;
  for (const auto& name : fault_test::file_names(dir))
    out[name] = std::filesystem::file_size(std::filesystem::path(dir) / name, ec);
  return out;
}

/// The files added, removed or resized from `before` to `after`, one a line ("" when none).
inline std::string file_changes(const std::map<std::string, uintmax_t>& before,
                                const std::map<std::string, uintmax_t>& after) {
  std::string s;
  for (const auto& [name, size] : after) {
    auto it = before.find(name);
    if (it == before.end())
      s += "  added " + name + " (" + std::to_string(size) + " bytes)\n";
    else if (it->second != size)
      s += "  resized " + name + " from " + std::to_string(it->second) + " to " +
           std::to_string(size) + " bytes\n";
  }
  for (const auto& [name, size] : before)
    if (!after.count(name))
      s += "  removed " + name + "\n";
  return s;
}

using test::first_seed;
using test::required_runs;

/// The newest completed checkpoint of `dir`, 0 when there is none.
inline uint64_t newest_checkpoint(const std::string& dir) {
  auto ids = test::manifest_ids(dir);
  return ids.empty() ? 0 : ids.back();
}

}  // namespace sluice::cluster_test
