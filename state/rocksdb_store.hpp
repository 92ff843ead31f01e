// The RocksDB database of one operator subtask: a column family per state name, keys prefixed by
// their key group (2 bytes, big-endian) so a key-group range is one contiguous scan. RocksDB's own
// WAL is off: checkpoints provide durability. Snapshots are RocksDB checkpoints (hard links on the
// same filesystem, so unchanged SST files are shared between checkpoints, not copied).
// One instance per operator subtask, used by its actor only. RocksDB headers stay in the .cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::state {

class rocksdb_store {
 public:
  /// Creates a fresh database in `dir` (deleting what was there). Throws std::runtime_error.
  explicit rocksdb_store(const std::string& dir);
  ~rocksdb_store();
  rocksdb_store(const rocksdb_store&) = delete;
  rocksdb_store& operator=(const rocksdb_store&) = delete;

  /// Index of the column family `name`, created on first use.
  uint32_t family(const std::string& name);
  std::optional<std::string> get(uint32_t family, uint32_t key_group, std::string_view key);
  void put(uint32_t family, uint32_t key_group, std::string_view key, std::string_view value);
  void erase(uint32_t family, uint32_t key_group, std::string_view key);
  /// Writes collected with batch_put / batch_erase reach the database together, in one
  /// WriteBatch, at commit_batch(): one write instead of one per key (tables use it to write
  /// back what their cache holds). Reads do not see them before.
  void batch_put(uint32_t family, uint32_t key_group, std::string_view key, std::string_view value);
  void batch_erase(uint32_t family, uint32_t key_group, std::string_view key);
  void commit_batch();
  /// Visits every (key group, key, value) of a family in key-group order.
  void scan(uint32_t family,
            const std::function<void(uint32_t, std::string_view, std::string_view)>& f);
  uint64_t approximate_keys(uint32_t family);

  /// Writes a RocksDB checkpoint into `dir` (must not exist); returns the files it holds.
  std::vector<std::string> checkpoint(const std::string& dir);
  /// Copies key groups [first, last] of every family of the checkpoint in `dir` into this store.
  void restore_from(const std::string& dir, uint32_t first, uint32_t last);
  /// Makes this store a copy of the checkpoint in `dir`, whose key groups must be exactly the
  /// ones this subtask owns: its SST files are hard-linked (they are immutable; RocksDB only ever
  /// unlinks them, so the checkpoint keeps its own links), the few other files copied. Restoring
  /// then takes time independent of the state's size. Falls back to restore_from when the store
  /// was written to already or the files cannot be linked (another filesystem).
  void adopt(const std::string& dir, uint32_t first, uint32_t last);

 private:
  /// Opens the database in the working directory with these column families, in this order.
  void open(const std::vector<std::string>& families);

  struct impl;
  std::unique_ptr<impl> impl_;
};

/// A keyed table stored in a rocksdb_store; keys and values serialized with CAF's inspect.
template <class K, class V>
class rocksdb_table;

}  // namespace sluice::state
