// The on-disk format of the write-ahead log, shared by its writer and reader (checkpoints/wal.hpp)
// and by nothing else: segment files "seg-<first position, 20 digits>.wal", each a header (magic
// "SLUICEWAL", format version, first position as u64 little-endian) then records framed as
// u32 length, u64 XXH3 checksum of the payload, payload. Internal: include only from wal*.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "checkpoints/wal.hpp"

namespace sluice::checkpoints::detail {

inline constexpr std::string_view magic = "SLUICEWAL";
inline constexpr uint8_t format_version = 1;
inline constexpr uint64_t header_size = magic.size() + 1 + 8;  // magic, version, first position
inline constexpr uint64_t frame_size = 4 + 8;                  // length, checksum
inline constexpr std::size_t read_buffer_bytes = 1 << 20;
inline constexpr std::size_t write_buffer_bytes = 1 << 20;

/// Appends the `bytes` low bytes of v, little-endian.
void put_le(std::string& out, uint64_t v, int bytes);
/// Reads `bytes` bytes at p as a little-endian number.
uint64_t get_le(const char* p, int bytes);
/// "WHAT 'PATH': strerror(errno)".
std::runtime_error sys_error(const std::string& what, const std::string& path);
std::string segment_path(const std::string& dir, wal_position first);
/// First positions of the segments in `dir`, oldest first. Other files are ignored.
std::vector<wal_position> list_segments(const std::string& dir);
std::string encode_header(wal_position first);
/// The error for a segment that does not end where the next one starts.
std::runtime_error gap_error(const std::string& dir, wal_position prev_first, wal_position prev_end,
                             wal_position next_first);
/// write(2) until all n bytes are written; false on an error (errno tells).
bool write_all(int fd, const char* p, std::size_t n);
bool fsync_dir(const std::string& dir);
/// Whether an intact record (a frame whose checksum matches) starts at any byte of `bytes`. Tells
/// a torn tail (nothing intact after the damage) from corruption inside the log.
bool holds_intact_record(const std::string& bytes);

/// Sequential, verifying reader of one segment file. Owns its file descriptor; not thread-safe.
/// Throws std::runtime_error naming the segment on I/O errors and corruption.
class wal_segment_reader {
 public:
  wal_segment_reader(std::string path, wal_position first);
  ~wal_segment_reader();
  wal_segment_reader(const wal_segment_reader&) = delete;
  wal_segment_reader& operator=(const wal_segment_reader&) = delete;

  /// Reads the next record into `out`. False at the end of the valid records: the end of the
  /// file, or (in the last segment only) a torn tail starting at offset(). Throws on corruption.
  bool next(std::string& out, bool is_last);
  /// Sees bytes appended since the last call; forgets buffered ones.
  void refresh();

  wal_position first() const { return first_; }
  wal_position position() const { return position_; }
  uint64_t offset() const { return offset_; }
  uint64_t size() const { return size_; }

 private:
  void check_header();
  bool damaged(const std::string& what, bool is_last);
  /// Reads [off, off + n), which lies within size_, through a buffer for small reads.
  void read_exact(uint64_t off, char* dst, std::size_t n);
  void pread_all(uint64_t off, char* dst, std::size_t n);

  std::string path_;
  int fd_ = -1;
  wal_position first_;
  wal_position position_;
  uint64_t offset_ = header_size;
  uint64_t size_ = 0;
  std::string buf_;
  uint64_t buf_off_ = 0;
};

}  // namespace sluice::checkpoints::detail
