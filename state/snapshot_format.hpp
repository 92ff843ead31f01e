// The versioned, checksummed file format of a state snapshot: one file per operator subtask,
// holding named sections — one per (table, key group) of keyed state, plus the operator's own
// state — each with its xxHash3 checksum. A reader verifies the header, every section's checksum
// and the footer, so a truncated or damaged file is detected, never half-read.
// Writer and reader are used by one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sluice::state {

inline constexpr uint32_t snapshot_format_version = 1;
/// Key group value of sections that are not keyed (operator state).
inline constexpr uint32_t no_key_group = 0xFFFFFFFFu;

struct section_id {
  std::string name;  ///< table name, or "" for the operator's own state
  uint32_t key_group = no_key_group;
  bool operator<(const section_id& o) const {
    return name != o.name ? name < o.name : key_group < o.key_group;
  }
};

/// Collects sections in memory, then writes them atomically (temp file, fsync, rename).
class snapshot_writer {
 public:
  void add(section_id id, std::string bytes);
  /// Writes the file; returns its xxHash3 checksum. Throws std::runtime_error naming the path.
  uint64_t write(const std::string& path) const;
  bool empty() const { return sections_.empty(); }

 private:
  std::vector<std::pair<section_id, std::string>> sections_;
};

/// A verified snapshot file.
class snapshot_reader {
 public:
  /// Reads and verifies `path`; throws std::runtime_error naming the path and the damage.
  explicit snapshot_reader(const std::string& path);
  /// The bytes of a section, or nullptr when the snapshot has none.
  const std::string* find(const section_id& id) const;
  /// Names of the keyed tables present (operator state excluded).
  std::vector<std::string> table_names() const;
  /// All sections of table `name`, by key group.
  std::vector<std::pair<uint32_t, const std::string*>> table(const std::string& name) const;

 private:
  std::map<section_id, std::string> sections_;
};

/// xxHash3 of a whole file; throws std::runtime_error when it cannot be read.
uint64_t file_checksum(const std::string& path);

/// Writes `bytes` to `path` atomically: temp file, fsync, rename, fsync of the directory.
void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace sluice::state
