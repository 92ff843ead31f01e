#include "connectors/file_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "sluice/keys.hpp"

namespace fs = std::filesystem;

namespace sluice {

namespace {

// One poll reads at most this much, so what a poll emits (and so what waits in the output gate
// beyond the credits) stays small.
constexpr std::size_t read_chunk = 64 << 10;

std::string errno_text() { return std::strerror(errno); }

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

/// A file being read from `pos` up to `end` (bounded) or onwards (follow).
struct file_source::open_file {
  int fd = -1;
  std::string path;
  uint64_t pos = 0;
  uint64_t end = UINT64_MAX;
  bool skip_first = false;  // drop the partial line a split starts in
  uint64_t skipped = 0;     // bytes of that partial line (the previous split read them)
  bool done = false;
  line_splitter splitter;
  std::vector<char> buf = std::vector<char>(read_chunk);

  ~open_file() {
    if (fd >= 0)
      ::close(fd);
  }

  /// Offset of the first byte not yet emitted as part of a line.
  uint64_t resume_offset() const { return pos - splitter.pending_bytes(); }

  static std::unique_ptr<open_file> open(const std::string& path, uint64_t start, uint64_t end,
                                         bool at_line_start = false) {
    auto f = std::make_unique<open_file>();
    f->path = path;
    f->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (f->fd < 0)
      throw std::runtime_error("cannot open input file '" + path + "': " + errno_text());
    f->end = end;
    if (at_line_start) {
      f->pos = start;
    } else if (start > 0) {
      // The split owns the line that starts at `start` only if the byte before is a newline.
      f->pos = start - 1;
      f->skip_first = true;
    }
    return f;
  }

  /// Reads one chunk; appends complete lines. Returns bytes consumed (0 at EOF for now).
  std::size_t read_some(std::vector<std::string>& lines, bool at_eof_flush) {
    if (done)
      return 0;
    auto n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(pos));
    if (n < 0)
      throw std::runtime_error("cannot read input file '" + path + "': " + errno_text());
    if (n == 0) {
      if (at_eof_flush) {
        splitter.flush(lines);
        done = true;
      }
      return 0;
    }
    const char* data = buf.data();
    std::size_t len = static_cast<std::size_t>(n);
    if (skip_first) {
      auto* nl = static_cast<const char*>(std::memchr(data, '\n', len));
      if (!nl) {
        pos += len;  // still inside the previous split's line
        skipped += len;
        if (pos >= end)
          done = true;
        return len;
      }
      std::size_t skip = static_cast<std::size_t>(nl - data) + 1;
      pos += skip;
      data += skip;
      len -= skip;
      skipped += skip;
      skip_first = false;
      if (pos >= end) {  // the next line starts at or beyond our end: the next split's
        done = true;
        return skip;
      }
    }
    if (end != UINT64_MAX) {
      // Lines starting before `end` are ours; the one crossing `end` is finished past it.
      uint64_t room = end > pos ? end - pos : 0;
      if (len > room) {
        // The newline ending our last line is the first one at or after byte end-1.
        std::size_t from = room > 0 ? static_cast<std::size_t>(room) - 1 : 0;
        auto* nl = static_cast<const char*>(std::memchr(data + from, '\n', len - from));
        if (room == 0 && splitter.pending_bytes() == 0) {
          done = true;
          return 0;
        }
        if (nl) {
          std::size_t upto = static_cast<std::size_t>(nl - data) + 1;
          splitter.feed(data, upto, lines);
          pos += upto;
          done = true;
          return upto;
        }
        // No newline in this chunk after `end`: keep reading the crossing line.
      }
    }
    splitter.feed(data, len, lines);
    pos += len;
    return len;
  }
};

std::vector<std::string> list_input_files(const std::string& path) {
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (ec || !fs::exists(st))
    throw std::runtime_error("input '" + path + "' does not exist");
  if (fs::is_regular_file(st)) {
    if (::access(path.c_str(), R_OK) != 0)
      throw std::runtime_error("input '" + path + "' is not readable: " + errno_text());
    return {path};
  }
  if (!fs::is_directory(st))
    throw std::runtime_error("input '" + path + "' is neither a file nor a directory");
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(path, ec)) {
    auto name = e.path().filename().string();
    if (name.empty() || name[0] == '.' || name[0] == '_')
      continue;  // hidden and in-progress files
    if (e.is_regular_file(ec))
      files.push_back(e.path().string());
  }
  if (ec)
    throw std::runtime_error("cannot list input directory '" + path + "': " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<file_split> assign_splits(const std::vector<std::string>& files, uint32_t subtask,
                                      uint32_t parallelism, uint64_t min_split_bytes) {
  std::vector<std::pair<std::string, uint64_t>> sized;
  uint64_t total = 0;
  for (const auto& f : files) {
    std::error_code ec;
    auto sz = fs::file_size(f, ec);
    sized.emplace_back(f, ec ? 0 : sz);
    total += ec ? 0 : sz;
  }
  uint64_t chunk = std::max<uint64_t>(min_split_bytes, (total + parallelism - 1) / std::max(1u, parallelism));
  std::vector<file_split> all;
  for (const auto& [f, sz] : sized) {
    if (sz == 0) {
      all.push_back({f, 0, UINT64_MAX});
      continue;
    }
    for (uint64_t s = 0; s < sz; s += chunk) {
      uint64_t e = s + chunk >= sz ? UINT64_MAX : s + chunk;  // the last split reads to EOF
      all.push_back({f, s, e});
    }
  }
  std::vector<file_split> mine;
  for (std::size_t i = subtask; i < all.size(); i += parallelism)
    mine.push_back(all[i]);
  return mine;
}

file_source::file_source(file_source_options opts) : opts_(std::move(opts)) {}
file_source::~file_source() = default;

void file_source::open(const task_context& ctx) {
  ctx_ = ctx;
  if (opts_.follow) {
    list_input_files(opts_.path);  // fails early with a clear message
    return;
  }
  splits_ = assign_splits(list_input_files(opts_.path), ctx.subtask, ctx.parallelism,
                          opts_.min_split_bytes);
  for (const auto& s : splits_) {
    std::error_code ec;
    auto sz = fs::file_size(s.path, ec);
    if (!ec)
      bytes_total_ += std::min<uint64_t>(s.end, sz) - std::min<uint64_t>(s.start, sz);
  }
}

poll_status file_source::poll(emitter& out, uint32_t max_records) {
  auto b = std::make_shared<batch<std::string>>();
  b->items.reserve(max_records);
  auto st = opts_.follow ? poll_follow(b->items, max_records) : poll_bounded(b->items, max_records);
  out.emit(std::move(b));
  return st;
}

poll_status file_source::poll_bounded(std::vector<std::string>& lines, uint32_t max_records) {
  while (lines.size() < max_records) {
    if (stop_requested_)
      return poll_status::finished;
    if (!cur_ || cur_->done) {
      if (next_split_ >= splits_.size())
        return lines.empty() ? poll_status::finished : poll_status::more;
      const auto& s = splits_[next_split_++];
      cur_ = open_file::open(s.path, s.start, s.end);
    }
    auto before = cur_->pos - cur_->skipped;
    cur_->read_some(lines, true);
    bytes_read_ += cur_->pos - cur_->skipped - before;
  }
  return poll_status::more;
}

void file_source::discover() {
  for (const auto& f : list_input_files(opts_.path)) {
    if (followed_.count(f))
      continue;
    auto name = fs::path(f).filename().string();
    if (subtask_of_key(name, ctx_.max_parallelism, ctx_.parallelism) != ctx_.subtask)
      continue;
    followed_.emplace(f, open_file::open(f, 0, UINT64_MAX));
  }
}

poll_status file_source::poll_follow(std::vector<std::string>& lines, uint32_t max_records) {
  if (stop_requested_) {
    for (auto& [path, f] : followed_)
      f->splitter.flush(lines);
    followed_.clear();
    return lines.empty() ? poll_status::finished : poll_status::more;
  }
  auto now = now_ms();
  if (now - last_discovery_ms_ >= opts_.discovery_ms) {
    last_discovery_ms_ = now;
    discover();
  }
  bool progressed = false;
  for (auto& [path, f] : followed_) {
    while (lines.size() < max_records) {
      auto n = f->read_some(lines, false);  // an unterminated last line waits for its newline
      bytes_read_ += n;
      if (n == 0)
        break;
      progressed = true;
    }
  }
  return progressed || !lines.empty() ? poll_status::more : poll_status::idle;
}

}  // namespace sluice

namespace sluice {

void file_source::snapshot_state(operator_snapshot& snap) {
  nlohmann::json j;
  if (opts_.follow) {
    auto& files = j["files"] = nlohmann::json::object();
    for (const auto& [path, f] : followed_)
      files[path] = f->resume_offset();
  } else {
    // Resume inside the current split when its first (partial) line was skipped already;
    // otherwise restart the split (nothing of it was emitted yet) or take the next one.
    std::size_t split = next_split_;
    uint64_t offset = 0;
    bool inside = false;
    if (cur_ && !cur_->done) {
      split = next_split_ - 1;
      if (!cur_->skip_first) {
        offset = cur_->resume_offset();
        inside = true;
      }
    }
    j["split"] = split;
    if (split < splits_.size()) {
      j["path"] = splits_[split].path;
      j["split_start"] = splits_[split].start;
    }
    if (inside)
      j["offset"] = offset;
    j["bytes_read"] = bytes_read_;
  }
  auto text = j.dump();
  snap.set_operator_state(text);
  snap.description = text;
}

void file_source::restore_state(const operator_restore& r) {
  if (!r.operator_state)
    throw std::runtime_error("the checkpoint has no position for subtask " +
                             std::to_string(ctx_.subtask) +
                             (r.old_parallelism != ctx_.parallelism
                                  ? " (the source's parallelism changed from " +
                                        std::to_string(r.old_parallelism) + " to " +
                                        std::to_string(ctx_.parallelism) + ")"
                                  : ""));
  auto j = nlohmann::json::parse(*r.operator_state);
  if (opts_.follow) {
    for (const auto& [path, offset] : j.at("files").items()) {
      auto f = open_file::open(path, offset.get<uint64_t>(), UINT64_MAX, true);
      bytes_read_ += offset.get<uint64_t>();
      followed_.emplace(path, std::move(f));
    }
    return;
  }
  next_split_ = j.at("split").get<std::size_t>();
  bytes_read_ = j.value("bytes_read", uint64_t{0});
  if (next_split_ > splits_.size() ||
      (next_split_ < splits_.size() &&
       (j.value("path", std::string{}) != splits_[next_split_].path ||
        j.value("split_start", uint64_t{0}) != splits_[next_split_].start)))
    throw std::runtime_error("the input '" + opts_.path + "' changed since the checkpoint");
  if (j.contains("offset") && next_split_ < splits_.size()) {
    const auto& s = splits_[next_split_++];
    cur_ = open_file::open(s.path, j["offset"].get<uint64_t>(), s.end, true);
  }
}

}  // namespace sluice
