#include "checkpoints/wal_format.hpp"

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

namespace fs = std::filesystem;

namespace sluice::checkpoints::detail {

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

// -- segment reader -------------------------------------------------------------------------------

wal_segment_reader::wal_segment_reader(std::string path, wal_position first)
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

wal_segment_reader::~wal_segment_reader() { ::close(fd_); }

bool wal_segment_reader::next(std::string& out, bool is_last) {
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

void wal_segment_reader::refresh() {
  struct stat st;
  if (::fstat(fd_, &st) != 0)
    throw sys_error("cannot stat write-ahead log segment", path_);
  size_ = static_cast<uint64_t>(st.st_size);
  if (size_ < offset_)
    throw std::runtime_error("write-ahead log segment '" + path_ + "' shrank below byte offset " +
                             std::to_string(offset_) + " while being read");
  buf_.clear();
}

void wal_segment_reader::check_header() {
  if (size_ < header_size)
    throw std::runtime_error("write-ahead log segment '" + path_ + "' is shorter than its header");
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

bool wal_segment_reader::damaged(const std::string& what, bool is_last) {
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

void wal_segment_reader::read_exact(uint64_t off, char* dst, std::size_t n) {
  if (n > read_buffer_bytes / 2)
    return pread_all(off, dst, n);
  if (off < buf_off_ || off + n > buf_off_ + buf_.size()) {
    buf_.resize(std::min<uint64_t>(read_buffer_bytes, size_ - off));
    pread_all(off, buf_.data(), buf_.size());
    buf_off_ = off;
  }
  std::memcpy(dst, buf_.data() + (off - buf_off_), n);
}

void wal_segment_reader::pread_all(uint64_t off, char* dst, std::size_t n) {
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

}  // namespace sluice::checkpoints::detail
