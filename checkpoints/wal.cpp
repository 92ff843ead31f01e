#include "checkpoints/wal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <stdexcept>

#include "checkpoints/lease.hpp"
#include "checkpoints/wal_format.hpp"

namespace fs = std::filesystem;

namespace sluice::checkpoints {

using namespace detail;

// -- writer ---------------------------------------------------------------------------------------

wal_writer::wal_writer(wal_options o) : opts_(std::move(o)) {}

wal_writer::~wal_writer() {
  close_fd();
}

void wal_writer::close_fd() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

void wal_writer::open() {
  close_fd();
  segments_.clear();
  size_ = 0;
  end_ = 0;
  dir_dirty_ = false;
  failure_.clear();
  if (opts_.dir.empty())
    throw std::runtime_error("write-ahead log: wal_options::dir is empty");
  std::error_code ec;
  bool created = fs::create_directories(opts_.dir, ec);
  if (ec)
    throw std::runtime_error("cannot create write-ahead log directory '" + opts_.dir +
                             "': " + ec.message());
  if (created && opts_.fsync) {  // make the new directory's own entry durable
    auto path = fs::absolute(opts_.dir).lexically_normal();
    if (!path.has_filename())
      path = path.parent_path();
    fsync_dir(path.parent_path().string());
  }
  try {
    auto firsts = list_segments(opts_.dir);
    if (firsts.empty())
      create_segment(0);
    else
      scan_existing(firsts);
  } catch (...) {
    close_fd();
    throw;
  }
}

void wal_writer::scan_existing(const std::vector<wal_position>& firsts) {
  std::string record;
  for (std::size_t i = 0; i < firsts.size(); ++i) {
    if (i > 0 && firsts[i] != end_)
      throw gap_error(opts_.dir, firsts[i - 1], end_, firsts[i]);
    auto path = segment_path(opts_.dir, firsts[i]);
    bool is_last = i + 1 == firsts.size();
    std::error_code ec;
    if (is_last && fs::file_size(path, ec) < header_size && !ec) {
      segments_ = firsts;
      return rewrite_header();
    }
    detail::wal_segment_reader reader(path, firsts[i]);
    while (reader.next(record, is_last)) {
    }
    end_ = reader.position();
    size_ = reader.offset();
    if (is_last) {
      segments_ = firsts;
      fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
      if (fd_ < 0)
        throw sys_error("cannot open write-ahead log segment", path);
      if (size_ < reader.size()) {  // drop the torn tail, durably before anything follows it
        if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0 || (opts_.fsync && ::fsync(fd_) != 0))
          throw sys_error("cannot truncate the torn tail of write-ahead log segment", path);
      }
    }
  }
}

void wal_writer::rewrite_header() {
  // A crash right after the last segment was created, before its header reached the disk.
  auto path = active_path();
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0 || ::ftruncate(fd_, 0) != 0)
    throw sys_error("cannot repair write-ahead log segment", path);
  end_ = segments_.back();
  size_ = 0;
  write_bytes(encode_header(end_));
  dir_dirty_ = true;
}

void wal_writer::create_segment(wal_position first) {
  check_lease("create a write-ahead log segment");
  auto path = segment_path(opts_.dir, first);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0)
    fail("cannot create write-ahead log segment", path);
  segments_.push_back(first);
  size_ = 0;
  dir_dirty_ = true;
  write_bytes(encode_header(first));
}

void wal_writer::roll() {
  // The finished segment and its directory entry become durable before the next segment exists,
  // so a crash can only ever tear the last segment.
  if (opts_.fsync) {
    if (::fsync(fd_) != 0)
      fail("cannot sync write-ahead log segment", active_path());
    if (dir_dirty_ && !fsync_dir(opts_.dir))
      fail("cannot sync write-ahead log directory", opts_.dir);
    dir_dirty_ = false;
  }
  close_fd();
  create_segment(end_);
}

void wal_writer::write_bytes(const std::string& bytes) {
  check_lease("append to a write-ahead log");
  if (!write_all(fd_, bytes.data(), bytes.size()))
    fail("cannot write write-ahead log segment", active_path());
  size_ += bytes.size();
}

void wal_writer::fail(const char* what, const std::string& path) {
  auto error = sys_error(what, path);
  failure_ = error.what();
  throw error;
}

std::string wal_writer::active_path() const {
  return segment_path(opts_.dir, segments_.back());
}

void wal_writer::check_usable(const char* call) const {
  if (!failure_.empty())
    throw std::runtime_error("write-ahead log '" + opts_.dir + "' is unusable after a failure (" +
                             failure_ + "); open() it again");
  if (fd_ < 0)
    throw std::runtime_error(std::string("wal_writer::") + call + " before open() of '" +
                             opts_.dir + "'");
}

wal_position wal_writer::append(const std::vector<std::string>& records) {
  check_usable("append");
  for (const auto& r : records)
    if (r.size() > UINT32_MAX)
      throw std::runtime_error("write-ahead log '" + opts_.dir + "': a record of " +
                               std::to_string(r.size()) + " bytes exceeds the 4 GiB - 1 limit");
  const wal_position first = end_;
  std::string buf;
  wal_position buffered = 0;  // records in buf, counted into end_ once written
  auto flush = [&] {
    write_bytes(buf);
    buf.clear();
    end_ += buffered;
    buffered = 0;
  };
  for (const auto& r : records) {
    bool segment_has_records = end_ + buffered > segments_.back();
    if (segment_has_records && size_ + buf.size() + frame_size + r.size() > opts_.segment_bytes) {
      flush();
      roll();
    }
    put_le(buf, r.size(), 4);
    put_le(buf, XXH3_64bits(r.data(), r.size()), 8);
    ++buffered;
    if (r.size() >= write_buffer_bytes) {  // large: write it as it is rather than copy it
      write_bytes(buf);
      write_bytes(r);
      buf.clear();
      end_ += buffered;
      buffered = 0;
    } else {
      buf += r;
      if (buf.size() >= write_buffer_bytes)
        flush();
    }
  }
  flush();
  return first;
}

void wal_writer::sync() {
  check_usable("sync");
  if (!opts_.fsync)
    return;
  // A failed fsync may have dropped the dirty pages: never retry it, refuse until reopened.
  if (::fsync(fd_) != 0)
    fail("cannot sync write-ahead log segment", active_path());
  if (dir_dirty_ && !fsync_dir(opts_.dir))
    fail("cannot sync write-ahead log directory", opts_.dir);
  dir_dirty_ = false;
}

void wal_writer::truncate_before(wal_position pos) {
  check_usable("truncate_before");
  if (pos > end_)
    throw std::runtime_error("write-ahead log '" + opts_.dir +
                             "': cannot truncate before position " + std::to_string(pos) +
                             ", past its end " + std::to_string(end_));
  std::size_t deleted = 0;
  // Oldest first, so a crash midway still leaves a contiguous log.
  while (deleted + 1 < segments_.size() && segments_[deleted + 1] <= pos) {
    auto path = segment_path(opts_.dir, segments_[deleted]);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      auto err = sys_error("cannot delete write-ahead log segment", path);
      segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(deleted));
      throw err;
    }
    ++deleted;
  }
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(deleted));
  // Best effort: a deletion lost in a crash leaves a segment the next call deletes again.
  if (deleted > 0 && opts_.fsync)
    fsync_dir(opts_.dir);
}

// -- reader ---------------------------------------------------------------------------------------

wal_reader::wal_reader(std::string dir) : dir_(std::move(dir)) {}

wal_reader::~wal_reader() = default;

std::vector<std::string> wal_reader::read(wal_position from, std::size_t max) {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec))
    throw std::runtime_error("no write-ahead log at '" + dir_ + "': not a directory");
  auto firsts = list_segments(dir_);
  auto past_end = [&](wal_position end) {
    return std::runtime_error("write-ahead log position " + std::to_string(from) +
                              " is past the end (" + std::to_string(end) + ") of the log in '" +
                              dir_ + "'");
  };
  std::vector<std::string> out;
  if (firsts.empty()) {
    if (from == 0)
      return out;
    throw past_end(0);
  }
  if (from < firsts.front())
    throw std::runtime_error("write-ahead log position " + std::to_string(from) +
                             " is no longer retained in '" + dir_ +
                             "': its first retained position is " + std::to_string(firsts.front()));
  auto i = static_cast<std::size_t>(std::upper_bound(firsts.begin(), firsts.end(), from) -
                                    firsts.begin() - 1);
  if (!cursor_ || cursor_->first() != firsts[i] || cursor_->position() > from)
    cursor_ =
        std::make_unique<detail::wal_segment_reader>(segment_path(dir_, firsts[i]), firsts[i]);
  cursor_->refresh();
  std::string record;
  bool is_last = i + 1 == firsts.size();
  while (cursor_->position() < from) {
    if (cursor_->next(record, is_last))
      continue;
    if (is_last)
      throw past_end(cursor_->position());
    throw gap_error(dir_, firsts[i], cursor_->position(), firsts[i + 1]);
  }
  while (out.size() < max) {
    if (cursor_->next(record, is_last)) {
      out.push_back(std::move(record));
      continue;
    }
    if (is_last)
      break;
    if (cursor_->position() != firsts[i + 1])
      throw gap_error(dir_, firsts[i], cursor_->position(), firsts[i + 1]);
    ++i;
    is_last = i + 1 == firsts.size();
    cursor_ =
        std::make_unique<detail::wal_segment_reader>(segment_path(dir_, firsts[i]), firsts[i]);
  }
  return out;
}

}  // namespace sluice::checkpoints
