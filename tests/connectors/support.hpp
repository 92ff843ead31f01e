// Helpers shared by the connector tests: a scratch directory, file writing, a deterministic
// random generator, and an emitter that records what a source or operator emits.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/operator.hpp"

namespace sluice {

inline std::ostream& operator<<(std::ostream& os, poll_status s) {
  switch (s) {
    case poll_status::more: return os << "more";
    case poll_status::idle: return os << "idle";
    case poll_status::finished: return os << "finished";
  }
  return os << "poll_status(" << static_cast<int>(s) << ")";
}

}  // namespace sluice

namespace sluice::test {

/// A fresh directory under the system temp dir, removed with everything in it on destruction.
class temp_dir {
 public:
  temp_dir() {
    auto tmpl = (std::filesystem::temp_directory_path() / "sluice-conn-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
      throw std::runtime_error("mkdtemp failed for " + tmpl);
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f)
    throw std::runtime_error("cannot write " + path);
}

inline void append_file(const std::string& path, std::string_view bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::app);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f)
    throw std::runtime_error("cannot append to " + path);
}

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// Names in `dir`, sorted (hidden ones included).
inline std::vector<std::string> names_in(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

/// The lines a reader of `bytes` should see: split at '\n', one trailing '\r' dropped per line,
/// an unterminated non-empty rest is the last line. Written independently of line_splitter.
inline std::vector<std::string> expected_lines(std::string_view bytes) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\n') {
      std::string line(bytes.substr(start, i - start));
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      lines.push_back(std::move(line));
      start = i + 1;
    }
  }
  if (start < bytes.size()) {
    std::string line(bytes.substr(start));
    if (line.back() == '\r')
      line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

/// splitmix64: the same numbers on every platform and standard library.
class rng {
 public:
  explicit rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [lo, hi].
  uint64_t between(uint64_t lo, uint64_t hi) { return lo + next() % (hi - lo + 1); }
  bool chance(unsigned percent) { return next() % 100 < percent; }

 private:
  uint64_t s_;
};

/// Records every batch of type T and every epoch mark it is handed.
template <class T>
class recording_emitter final : public emitter {
 public:
  void emit(batch_ptr b) override {
    if (!b)
      return;
    ++batches;
    largest_batch = std::max(largest_batch, b->size());
    auto& items = as_batch<T>(*b).items;
    records.insert(records.end(), items.begin(), items.end());
  }
  void end_epoch(uint64_t epoch) override { epochs.push_back(epoch); }

  std::vector<T> records;
  std::vector<uint64_t> epochs;
  std::size_t batches = 0;
  std::size_t largest_batch = 0;
};

inline task_context subtask_context(uint32_t subtask, uint32_t parallelism) {
  task_context ctx;
  ctx.uid = "under_test";
  ctx.subtask = subtask;
  ctx.parallelism = parallelism;
  return ctx;
}

}  // namespace sluice::test
