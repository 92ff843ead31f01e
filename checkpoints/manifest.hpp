// The manifest of a completed checkpoint: which files hold each operator subtask's state, with
// sizes and checksums, the source positions and sink transactions (human-readable), and whether
// it is the job's final checkpoint. Stored as JSON (chk-N/manifest.json) carrying its own
// checksum, written atomically; a checkpoint without a valid manifest does not exist.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice::checkpoints {

inline constexpr uint32_t manifest_format = 1;

/// The state of one operator subtask in a checkpoint. Paths are relative to the checkpoint dir.
struct subtask_state {
  uint32_t subtask = 0;
  uint32_t key_group_first = 0;
  uint32_t key_group_last = 0;
  std::string state_file;           ///< "" when the subtask wrote no state file
  uint64_t state_bytes = 0;
  uint64_t state_checksum = 0;      ///< xxHash3 of the file
  std::string external_dir;         ///< e.g. a RocksDB checkpoint; "" when none
  std::vector<std::string> external_files;
  std::string description;          ///< JSON text: source position, sink transactions
};

struct operator_state_entry {
  std::string uid;
  uint32_t parallelism = 0;
  std::vector<subtask_state> subtasks;
};

struct manifest {
  uint64_t id = 0;
  std::string job;                  ///< job fingerprint (operator uids and kinds)
  uint32_t max_parallelism = 0;
  int64_t time_ms = 0;              ///< wall clock at completion, ms since the epoch
  bool final = false;               ///< written when the job ran to its end
  uint64_t duration_ms = 0;         ///< trigger to completion
  std::vector<operator_state_entry> operators;

  const operator_state_entry* find(const std::string& uid) const;
  /// Total bytes of state files (external files not included).
  uint64_t state_bytes() const;
};

std::string to_json(const manifest& m);
/// Parses and verifies a manifest's JSON; throws std::runtime_error naming the problem.
manifest manifest_from_json(const std::string& text);

}  // namespace sluice::checkpoints
