// Text file source: lines of a file or of every regular file in a directory (sorted by name,
// hidden files skipped). Bounded by default: the subtask finishes when its splits are read.
// Large files are cut into byte-range splits so several subtasks read one file; a line belongs to
// the split holding its first byte. In follow mode (`tail -f` for a directory) each subtask owns
// the files whose name hashes to it, reads what is there, then keeps polling for appended bytes
// and new files until stopped. One instance per subtask; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connectors/line_splitter.hpp"
#include "sluice/operator.hpp"

namespace sluice {

struct file_source_options {
  std::string path;                ///< a file or a directory; required
  bool follow = false;             ///< keep watching for new files and appended lines
  uint32_t discovery_ms = 200;     ///< follow mode: how often the directory is listed again
  uint64_t min_split_bytes = 4 << 20;  ///< files are cut into ranges no smaller than this
};

/// One range of one file.
struct file_split {
  std::string path;
  uint64_t start = 0;
  uint64_t end = 0;  ///< exclusive; lines starting before it belong to the split
};

/// Files under `path` (the file itself, or a directory's visible regular files, sorted).
/// Throws std::runtime_error naming the path when it does not exist or cannot be read.
std::vector<std::string> list_input_files(const std::string& path);

/// Deterministic splits of `files` for `subtask` of `parallelism` (every subtask computes the same
/// global list and takes every parallelism-th split).
std::vector<file_split> assign_splits(const std::vector<std::string>& files, uint32_t subtask,
                                      uint32_t parallelism, uint64_t min_split_bytes);

class file_source final : public source_reader {
 public:
  explicit file_source(file_source_options opts);
  ~file_source() override;
  void open(const task_context& ctx) override;
  poll_status poll(emitter& out, uint32_t max_records) override;
  uint64_t bytes_read() const override { return bytes_read_; }
  uint64_t bytes_total() const override { return bytes_total_; }
  /// Position: the split being read and the offset of the next line to emit (JSON).
  void snapshot_state(operator_snapshot& snap) override;
  /// Resumes at a recorded position; the input must still have the same splits.
  void restore_state(const operator_restore& r) override;

 private:
  struct open_file;
  poll_status poll_bounded(std::vector<std::string>& lines, uint32_t max_records);
  poll_status poll_follow(std::vector<std::string>& lines, uint32_t max_records);
  void discover();

  file_source_options opts_;
  task_context ctx_;
  std::vector<file_split> splits_;
  std::size_t next_split_ = 0;
  std::unique_ptr<open_file> cur_;
  std::map<std::string, std::unique_ptr<open_file>> followed_;  // follow mode, by path
  int64_t last_discovery_ms_ = -1000000;
  uint64_t bytes_read_ = 0;
  uint64_t bytes_total_ = 0;
};

}  // namespace sluice
