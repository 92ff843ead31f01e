#include "checkpoints/lease.hpp"
#include "checkpoints/wal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace fs = std::filesystem;

namespace sluice::checkpoints {

namespace {

constexpr std::string_view magic = "SLUICEWAL";
constexpr uint8_t format_version = 1;
constexpr uint64_t header_size = magic.size() + 1 + 8;  // magic, version, first position
constexpr uint64_t frame_size = 4 + 8;                  // length, checksum
constexpr std::size_t read_buffer_bytes = 1 << 20;
constexpr std::size_t write_buffer_bytes = 1 << 20;

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint64_t get_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

std::runtime_error sys_error(const std::string& what, const std::string& path) {
  return std::runtime_error(what + " '" + path + "': " + std::strerror(errno));
}

std::string segment_path(const std::string& dir, wal_position first) {
  char name[48];
  std::snprintf(name, sizeof name, "seg-%020llu.wal", static_cast<unsigned long long>(first));
  return dir + "/" + name;
}

/// First positions of the segments in `dir`, oldest first. Other files are ignored.
std::vector<wal_position> list_segments(const std::string& dir) {
  std::vector<wal_position> firsts;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.size() != 28 || name.compare(0, 4, "seg-") != 0 || name.compare(24, 4, ".wal") != 0)
      continue;
    wal_position first = 0;
    auto [p, err] = std::from_chars(name.data() + 4, name.data() + 24, first);
    if (err == std::errc{} && p == name.data() + 24)
      firsts.push_back(first);
  }
  if (ec)
    throw std::runtime_error("cannot list write-ahead log directory '" + dir +
                             "': " + ec.message());
  std::sort(firsts.begin(), firsts.end());
  return firsts;
}

std::string encode_header(wal_position first) {
  std::string h(magic);
  h.push_back(static_cast<char>(format_version));
  put_le(h, first, 8);
  return h;
}

std::runtime_error gap_error(const std::string& dir, wal_position prev_first, wal_position prev_end,
                             wal_position next_first) {
  return std::runtime_error("write-ahead log segment '" + segment_path(dir, prev_first) +
                            "' ends at position " + std::to_string(prev_end) +
                            " but the next segment starts at " + std::to_string(next_first));
}

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    auto w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

/// Whether an intact record (a frame whose checksum matches) starts at any byte of `bytes`. Tells
/// a torn tail (nothing intact after the damage) from corruption inside the log.
bool holds_intact_record(const std::string& bytes) {
  const char* p = bytes.data();
  for (std::size_t i = 0; i + frame_size <= bytes.size(); ++i) {
    uint64_t len = get_le(p + i, 4);
    if (len <= bytes.size() - i - frame_size &&
        XXH3_64bits(p + i + frame_size, len) == get_le(p + i + 4, 8))
      return true;
  }
  return false;
}

}  // namespace

namespace detail {

/// Sequential, verifying reader of one segment file.
class wal_segment_reader {
 public:
  wal_segment_reader(std::string path, wal_position first)
      : path_(std::move(path)), first_(first), position_(first) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0)
      throw sys_error("cannot open write-ahead log segment", path_);
    try {
      refresh();
      check_header();
    } catch (...) {
      ::close(fd_);
      throw;
    }
  }
  ~wal_segment_reader() { ::close(fd_); }
  wal_segment_reader(const wal_segment_reader&) = delete;
  wal_segment_reader& operator=(const wal_segment_reader&) = delete;

  /// Reads the next record into `out`. False at the end of the valid records: the end of the
  /// file, or (in the last segment only) a torn tail starting at offset(). Throws on corruption.
  bool next(std::string& out, bool is_last) {
    if (offset_ == size_)
      return false;
    if (size_ - offset_ < frame_size)
      return damaged("a record header cut short", is_last);
    char frame[frame_size];
    read_exact(offset_, frame, frame_size);
    uint64_t len = get_le(frame, 4);
    if (len > size_ - offset_ - frame_size)
      return damaged("a record of " + std::to_string(len) + " bytes runs past the end of the file",
                     is_last);
    out.resize(len);
    read_exact(offset_ + frame_size, out.data(), len);
    if (XXH3_64bits(out.data(), len) != get_le(frame + 4, 8))
      return damaged("checksum mismatch", is_last);
    offset_ += frame_size + len;
    ++position_;
    return true;
  }

  /// Sees bytes appended since the last call; forgets buffered ones.
  void refresh() {
    struct stat st;
    if (::fstat(fd_, &st) != 0)
      throw sys_error("cannot stat write-ahead log segment", path_);
    size_ = static_cast<uint64_t>(st.st_size);
    if (size_ < offset_)
      throw std::runtime_error("write-ahead log segment '" + path_ + "' shrank below byte offset " +
                               std::to_string(offset_) + " while being read");
    buf_.clear();
  }

  wal_position first() const { return first_; }
  wal_position position() const { return position_; }
  uint64_t offset() const { return offset_; }
  uint64_t size() const { return size_; }

 private:
  void check_header() {
    if (size_ < header_size)
      throw std::runtime_error("write-ahead log segment '" + path_ +
                               "' is shorter than its header");
    char h[header_size];
    read_exact(0, h, header_size);
    if (std::string_view(h, magic.size()) != magic)
      throw std::runtime_error("'" + path_ + "' is not a write-ahead log segment (bad magic)");
    if (static_cast<uint8_t>(h[magic.size()]) != format_version)
      throw std::runtime_error("write-ahead log segment '" + path_ + "' has format version " +
                               std::to_string(static_cast<uint8_t>(h[magic.size()])) +
                               ", expected " + std::to_string(format_version));
    auto first = get_le(h + magic.size() + 1, 8);
    if (first != first_)
      throw std::runtime_error("write-ahead log segment '" + path_ +
                               "' says it starts at position " + std::to_string(first) +
                               ", its name says " + std::to_string(first_));
  }

  bool damaged(const std::string& what, bool is_last) {
    if (is_last) {
      std::string rest(size_ - offset_ - 1, '\0');
      read_exact(offset_ + 1, rest.data(), rest.size());
      if (!holds_intact_record(rest))
        return false;  // a torn tail: what a crash during append leaves
    }
    throw std::runtime_error("write-ahead log segment '" + path_ + "' is corrupt at byte offset " +
                             std::to_string(offset_) + " (position " + std::to_string(position_) +
                             "): " + what + (is_last ? ", with intact records after it" : ""));
  }

  /// Reads [off, off + n), which lies within size_, through a buffer for small reads.
  void read_exact(uint64_t off, char* dst, std::size_t n) {
    if (n > read_buffer_bytes / 2)
      return pread_all(off, dst, n);
    if (off < buf_off_ || off + n > buf_off_ + buf_.size()) {
      buf_.resize(std::min<uint64_t>(read_buffer_bytes, size_ - off));
      pread_all(off, buf_.data(), buf_.size());
      buf_off_ = off;
    }
    std::memcpy(dst, buf_.data() + (off - buf_off_), n);
  }

  void pread_all(uint64_t off, char* dst, std::size_t n) {
    while (n > 0) {
      auto r = ::pread(fd_, dst, n, static_cast<off_t>(off));
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        throw sys_error("cannot read write-ahead log segment", path_);
      if (r == 0)
        throw std::runtime_error("write-ahead log segment '" + path_ + "' shrank while being read");
      dst += r;
      off += static_cast<uint64_t>(r);
      n -= static_cast<std::size_t>(r);
    }
  }

  std::string path_;
  int fd_ = -1;
  wal_position first_;
  wal_position position_;
  uint64_t offset_ = header_size;
  uint64_t size_ = 0;
  std::string buf_;
  uint64_t buf_off_ = 0;
};

}  // namespace detail

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
