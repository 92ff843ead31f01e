// Watches a checkpoint directory while a job runs and records, for every completed checkpoint,
// what its manifest says (duration, the source's position) and what it put on disk: its total
// bytes and the bytes of files that are new in it. A file counts as new unless its inode is also
// in the previous completed checkpoint (a RocksDB checkpoint hard-links the SST files it shares
// with the one before; those were written once, not again). Polls every 2 ms from its own thread,
// which is fast enough to see each checkpoint before retention (3 by default) deletes the one
// before it. Header-only.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "checkpoints/storage.hpp"

namespace sluice::bench {

struct checkpoint_stats {
  uint64_t id = 0;
  uint64_t duration_ms = 0;  ///< trigger to completion, from the manifest
  bool final = false;
  uint64_t source_next = 0;  ///< the source's position: records before it are in this checkpoint
  uint64_t total_bytes = 0;  ///< every file of chk-N
  uint64_t new_bytes = 0;    ///< files not hard-linked from the previous checkpoint
  uint64_t files = 0;
  uint64_t shared_files = 0;
};

class checkpoint_probe {
 public:
  /// Starts watching `dir` (it may not exist yet).
  explicit checkpoint_probe(std::string dir) : storage_(std::move(dir)) {
    thread_ = std::thread([this] {
      while (!stop_) {
        sweep();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      sweep();
    });
  }
  ~checkpoint_probe() { stop(); }
  checkpoint_probe(const checkpoint_probe&) = delete;
  checkpoint_probe& operator=(const checkpoint_probe&) = delete;

  /// Stops watching (after one last look); then results() is complete.
  void stop() {
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
  }
  std::vector<checkpoint_stats> results() {
    std::lock_guard lock(mutex_);
    return results_;
  }

 private:
  void sweep() {
    for (auto id : storage_.list_completed()) {
      if (id <= last_id_)
        continue;
      try {
        look_at(id);
      } catch (const std::exception&) {
        // Deleted by retention while being read: only possible if this thread fell far behind.
      }
      last_id_ = id;
    }
  }

  void look_at(uint64_t id) {
    namespace fs = std::filesystem;
    auto m = storage_.load(id);
    checkpoint_stats s;
    s.id = id;
    s.duration_ms = m.duration_ms;
    s.final = m.final;
    if (const auto* src = m.find("updates"); src && !src->subtasks.empty()) {
      const auto& d = src->subtasks.front().description;
      auto at = d.find(':');
      if (at != std::string::npos)
        s.source_next = std::stoull(d.substr(at + 1));
    }
    std::set<std::pair<dev_t, ino_t>> inodes;
    for (const auto& e : fs::recursive_directory_iterator(storage_.checkpoint_dir(id))) {
      struct stat st {};
      if (!e.is_regular_file() || ::stat(e.path().c_str(), &st) != 0)
        continue;
      auto inode = std::make_pair(st.st_dev, st.st_ino);
      inodes.insert(inode);
      ++s.files;
      s.total_bytes += static_cast<uint64_t>(st.st_size);
      if (previous_.count(inode))
        ++s.shared_files;
      else
        s.new_bytes += static_cast<uint64_t>(st.st_size);
    }
    previous_ = std::move(inodes);
    std::lock_guard lock(mutex_);
    results_.push_back(s);
  }

  checkpoints::checkpoint_storage storage_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  uint64_t last_id_ = 0;
  std::set<std::pair<dev_t, ino_t>> previous_;
  std::mutex mutex_;
  std::vector<checkpoint_stats> results_;
};

}  // namespace sluice::bench
