// Checkpoint storage: the directory layout under --checkpoint-dir, listing, verification,
// atomic completion, retention and the choice of the checkpoint to recover from.
//   DIR/chk-N/manifest.json        the checkpoint exists iff this is present and valid
//   DIR/chk-N/<uid>/<subtask>.state   an operator subtask's state file
//   DIR/chk-N/<uid>/<subtask>.rocksdb/  a RocksDB checkpoint (hard links to shared SST files)
// Every node of a job must reach DIR (a shared path on one machine, a shared filesystem such as
// NFS across machines). Methods are called from one thread (the coordinator).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checkpoints/manifest.hpp"

namespace sluice::checkpoints {

class checkpoint_storage {
 public:
  explicit checkpoint_storage(std::string dir);

  const std::string& dir() const { return dir_; }
  /// Absolute directory of checkpoint `id`.
  std::string checkpoint_dir(uint64_t id) const;
  /// Path relative to dir() of an operator subtask's file in checkpoint `id`, e.g.
  /// "chk-7/count/0.state" (ext ".state") or "chk-7/count/0.rocksdb".
  static std::string relative_path(uint64_t id, const std::string& uid, uint32_t subtask,
                                   const std::string& ext);

  /// Ids of the checkpoints whose manifest is present, ascending (not yet verified).
  std::vector<uint64_t> list_completed() const;
  /// Highest id of any chk-N directory (completed or not); 0 when none.
  uint64_t max_id() const;
  /// Reads and verifies the manifest and every file it names (presence, size, checksum).
  /// Throws std::runtime_error with the reason.
  manifest load_verified(uint64_t id) const;
  /// Reads a manifest without verifying the files it names.
  manifest load(uint64_t id) const;
  /// Writes the manifest atomically: from then on the checkpoint is complete.
  void complete(const manifest& m) const;
  /// Deletes the directory of a checkpoint that will never complete.
  void discard(uint64_t id) const;
  /// Keeps the newest `retained` completed checkpoints and deletes older ones, plus every
  /// incomplete directory older than the newest completed one.
  void retain(uint32_t retained) const;

 private:
  std::string dir_;
};

/// What recovery found in a checkpoint directory.
struct recovery_choice {
  std::optional<manifest> chosen;     ///< the newest valid checkpoint, if any
  std::vector<std::string> warnings;  ///< one line per damaged checkpoint skipped
  std::string error;                  ///< set when checkpoints exist but none is valid
};

recovery_choice choose_recovery(const checkpoint_storage& storage);

}  // namespace sluice::checkpoints
