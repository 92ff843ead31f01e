// Write-ahead log: an append-only sequence of byte records, kept in a directory of segment files
// and addressed by position (the count of records before a record). A source that cannot replay
// its input (the socket source) appends what it receives before emitting it, records the log's
// position in each checkpoint, replays from that position on recovery, and drops the segments no
// retained checkpoint needs.
//
// Format: segments named "seg-<first position, 20 digits>.wal", each an 18-byte header (magic
// "SLUICEWAL", version byte 1, first position as little-endian u64) followed by records framed as
// [u32 length][u64 xxHash3 of the bytes][bytes], little-endian. A damaged record at the tail of
// the last segment — a record cut short, or one failing its checksum with no intact record after
// it — is what a crash during append leaves: the writer truncates it on open and readers stop
// before it. Damage anywhere else (a non-last segment, or the last segment with intact records
// after the damage) is corruption: an error naming the segment, the byte offset and the position.
//
// Thread-safety: a wal_writer or wal_reader is used by one thread at a time. One writer per
// directory; readers (in this or another process) may read while it appends and see records once
// append() has written them, durable only after sync().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sluice::checkpoints {

struct wal_options {
  std::string dir;                       ///< directory of this log's segments; created if missing
  uint64_t segment_bytes = 64ull << 20;  ///< roll to a new segment past this size
  bool fsync = true;                     ///< fsync on every sync() (per batch)
};

/// Position of a record: the count of records before it (a logical offset, stable across segments).
using wal_position = uint64_t;

/// Appends to the log of one directory. Owns the file descriptor of the active (last) segment.
/// A segment rolls before a record that would take it past `segment_bytes` (a larger record gets a
/// segment of its own); the finished segment is fsynced first (with `fsync`), so only the last
/// segment can ever hold a torn tail. After a failed write or fsync the writer refuses further
/// calls — what reached the disk is unknown — until open() repairs the log again. Without
/// `fsync` the log survives a crash of the process but not of the machine.
class wal_writer {
 public:
  explicit wal_writer(wal_options o);
  ~wal_writer();
  wal_writer(const wal_writer&) = delete;
  wal_writer& operator=(const wal_writer&) = delete;

  /// Opens the log: scans existing segments, validates them, truncates a torn tail (a partially
  /// written last record after a crash) and positions at the end. Throws std::runtime_error.
  void open();
  /// Appends records (not yet durable). Returns the position of the first.
  /// Throws std::runtime_error (a record over 4 GiB - 1, a failed write).
  wal_position append(const std::vector<std::string>& records);
  /// Makes everything appended durable (fsync of the segment; of the directory when a segment was
  /// created). Does nothing when `fsync` is off. Throws std::runtime_error.
  void sync();
  /// Position after the last record.
  wal_position end() const { return end_; }
  /// Deletes whole segments whose records all lie before `pos` (no retained checkpoint needs them),
  /// oldest first. The active segment is kept. Throws std::runtime_error when `pos` > end().
  void truncate_before(wal_position pos);

 private:
  void check_usable(const char* call) const;
  void scan_existing(const std::vector<wal_position>& firsts);
  void rewrite_header();
  void create_segment(wal_position first);
  void roll();
  void write_bytes(const std::string& bytes);
  /// Records why the writer is unusable (errno of a failed write, fsync or create) and throws it.
  [[noreturn]] void fail(const char* what, const std::string& path);
  std::string active_path() const;
  void close_fd();

  wal_options opts_;
  std::vector<wal_position> segments_;  ///< first positions, oldest first; back() is active
  int fd_ = -1;
  uint64_t size_ = 0;  ///< bytes in the active segment
  wal_position end_ = 0;
  bool dir_dirty_ = false;  ///< a segment was created since the last directory fsync
  std::string failure_;     ///< why the writer is unusable; empty when usable
};

namespace detail {
class wal_segment_reader;
}

/// Reads records of the log in a directory. Keeps its place between calls, so reading on from
/// where the previous read() stopped does not rescan the segment.
class wal_reader {
 public:
  explicit wal_reader(std::string dir);
  ~wal_reader();
  wal_reader(const wal_reader&) = delete;
  wal_reader& operator=(const wal_reader&) = delete;

  /// Reads up to max records starting at position `from` (must be ≥ the first retained position,
  /// else std::runtime_error naming the position and the dir). Returns fewer at the end of the log.
  /// Throws std::runtime_error as well when `from` lies past the end of the log, when the directory
  /// holds no log, and on corruption (naming the segment and offset).
  std::vector<std::string> read(wal_position from, std::size_t max);

 private:
  std::string dir_;
  std::unique_ptr<detail::wal_segment_reader> cursor_;
};

}  // namespace sluice::checkpoints
