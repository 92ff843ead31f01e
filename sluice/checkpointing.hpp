// What operators and sources see of checkpoints: the snapshot they write at a barrier, the state
// they get back on restore, and the choice of keyed-state backend. See checkpoints/README.md for
// the protocol.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "state/snapshot_format.hpp"

namespace sluice {

/// Where keyed state lives while a job runs.
enum class backend_kind {
  memory,   ///< hash maps; a snapshot serializes them per key group
  rocksdb,  ///< a RocksDB database per operator subtask; a snapshot is a RocksDB checkpoint
};

/// Filled by an operator (or source) when a checkpoint barrier reaches it.
struct operator_snapshot {
  uint64_t checkpoint_id = 0;
  /// Sections written to the operator subtask's checksummed state file.
  state::snapshot_writer sections;
  /// Directory for files the operator writes itself (a RocksDB checkpoint); must not exist yet.
  std::string external_dir;
  /// Names of the files written under external_dir (listed in the manifest and verified).
  std::vector<std::string> external_files;
  /// Human-readable JSON describing this state (a source position, sink transactions) for the
  /// manifest; "" when there is nothing to show.
  std::string description;

  /// Stores the operator's own (non-keyed) state.
  void set_operator_state(std::string bytes) {
    sections.add(state::section_id{"", state::no_key_group}, std::move(bytes));
  }
};

/// One earlier subtask's snapshot of the operator being restored.
struct restore_part {
  uint32_t subtask = 0;
  uint32_t key_group_first = 0;
  uint32_t key_group_last = 0;
  std::shared_ptr<const state::snapshot_reader> file;  ///< null when it wrote no state file
  std::string external_dir;                            ///< absolute; "" when none
};

/// Handed to an operator (or source) restored from a checkpoint.
struct operator_restore {
  uint64_t checkpoint_id = 0;
  uint32_t old_parallelism = 0;
  /// Every earlier subtask whose key groups overlap this subtask's.
  std::vector<restore_part> parts;
  /// This subtask index's own operator state in the checkpoint, or nullptr.
  const std::string* operator_state = nullptr;
};

}  // namespace sluice
