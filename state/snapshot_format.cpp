#include "state/snapshot_format.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace sluice::state {

namespace {

constexpr char magic[8] = {'S', 'L', 'C', 'S', 'T', 'A', 'T', 'E'};
constexpr char footer_magic[8] = {'S', 'L', 'C', 'E', 'N', 'D', '0', '1'};

template <class T>
void put(std::string& out, T x) {
  out.append(reinterpret_cast<const char*>(&x), sizeof x);
}

template <class T>
T take(const std::string& in, std::size_t& pos, const std::string& path) {
  if (pos + sizeof(T) > in.size())
    throw std::runtime_error("snapshot '" + path + "' is truncated at byte " + std::to_string(pos));
  T x;
  std::memcpy(&x, in.data() + pos, sizeof x);
  pos += sizeof x;
  return x;
}

/// Calls `chunk(data, n)` for the file's bytes in order, 1 MiB at a time.
template <class F>
void read_chunks(const std::string& path, F&& chunk) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw std::runtime_error("cannot read '" + path + "': " + std::strerror(errno));
  std::string buf(1 << 20, '\0');
  for (;;) {
    auto n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      auto err = std::string{std::strerror(errno)};
      ::close(fd);
      throw std::runtime_error("cannot read '" + path + "': " + err);
    }
    if (n == 0)
      break;
    chunk(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
}

/// The whole file, read into a string reserved to its size (restores read 100s of MB: a stream
/// buffer grown step by step and copied out cost as much as the rest of the restore).
std::string read_all(const std::string& path) {
  std::string out;
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (!ec)
    out.reserve(size);
  read_chunks(path, [&](const char* p, std::size_t n) { out.append(p, n); });
  return out;
}

void sync_fd_or_throw(int fd, const std::string& path) {
  if (::fsync(fd) != 0)
    throw std::runtime_error("cannot sync '" + path + "': " + std::strerror(errno));
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& bytes) {
  auto tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error("cannot create '" + tmp + "': " + std::strerror(errno));
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    auto n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      auto err = std::string{std::strerror(errno)};
      ::close(fd);
      throw std::runtime_error("cannot write '" + tmp + "': " + err);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  sync_fd_or_throw(fd, tmp);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot rename '" + tmp + "': " + std::strerror(errno));
  auto dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void snapshot_writer::add(section_id id, std::string bytes) {
  sections_.emplace_back(std::move(id), std::move(bytes));
}

uint64_t snapshot_writer::write(const std::string& path) const {
  std::string out;
  out.append(magic, sizeof magic);
  put<uint32_t>(out, snapshot_format_version);
  put<uint64_t>(out, sections_.size());
  for (const auto& [id, bytes] : sections_) {
    put<uint32_t>(out, static_cast<uint32_t>(id.name.size()));
    out.append(id.name);
    put<uint32_t>(out, id.key_group);
    put<uint64_t>(out, bytes.size());
    out.append(bytes);
    put<uint64_t>(out, XXH3_64bits(bytes.data(), bytes.size()));
  }
  out.append(footer_magic, sizeof footer_magic);
  put<uint64_t>(out, XXH3_64bits(out.data(), out.size()));
  write_file_atomically(path, out);
  return XXH3_64bits(out.data(), out.size());
}

snapshot_reader::snapshot_reader(const std::string& path) {
  auto in = read_all(path);
  if (in.size() < sizeof magic + sizeof footer_magic + 8 ||
      std::memcmp(in.data(), magic, sizeof magic) != 0)
    throw std::runtime_error("'" + path + "' is not a sluice state snapshot");
  auto body = in.size() - 8;
  uint64_t stored;
  std::memcpy(&stored, in.data() + body, 8);
  if (XXH3_64bits(in.data(), body) != stored)
    throw std::runtime_error("snapshot '" + path + "' is damaged (checksum mismatch)");
  std::size_t pos = sizeof magic;
  auto version = take<uint32_t>(in, pos, path);
  if (version != snapshot_format_version)
    throw std::runtime_error("snapshot '" + path + "' has format version " +
                             std::to_string(version) + ", this build reads version " +
                             std::to_string(snapshot_format_version));
  auto count = take<uint64_t>(in, pos, path);
  for (uint64_t i = 0; i < count; ++i) {
    auto name_len = take<uint32_t>(in, pos, path);
    if (pos + name_len > body)
      throw std::runtime_error("snapshot '" + path + "' is truncated");
    section_id id{in.substr(pos, name_len), 0};
    pos += name_len;
    id.key_group = take<uint32_t>(in, pos, path);
    auto len = take<uint64_t>(in, pos, path);
    if (pos + len > body)
      throw std::runtime_error("snapshot '" + path + "' is truncated");
    std::string bytes = in.substr(pos, len);
    pos += len;
    if (take<uint64_t>(in, pos, path) != XXH3_64bits(bytes.data(), bytes.size()))
      throw std::runtime_error("snapshot '" + path + "' section '" + id.name +
                               "' is damaged (checksum mismatch)");
    sections_.emplace(std::move(id), std::move(bytes));
  }
  if (pos + sizeof footer_magic != body || std::memcmp(in.data() + pos, footer_magic, sizeof footer_magic) != 0)
    throw std::runtime_error("snapshot '" + path + "' has a damaged footer");
}

const std::string* snapshot_reader::find(const section_id& id) const {
  auto i = sections_.find(id);
  return i == sections_.end() ? nullptr : &i->second;
}

std::vector<std::pair<uint32_t, const std::string*>> snapshot_reader::table(const std::string& name) const {
  std::vector<std::pair<uint32_t, const std::string*>> out;
  for (auto i = sections_.lower_bound(section_id{name, 0});
       i != sections_.end() && i->first.name == name; ++i)
    if (i->first.key_group != no_key_group)
      out.emplace_back(i->first.key_group, &i->second);
  return out;
}

std::vector<std::string> snapshot_reader::table_names() const {
  std::vector<std::string> names;
  for (const auto& [id, bytes] : sections_)
    if (id.key_group != no_key_group && (names.empty() || names.back() != id.name))
      names.push_back(id.name);
  return names;
}

uint64_t file_checksum(const std::string& path) {
  // Streamed: verifying a checkpoint should not hold every state file in memory at once.
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(), &XXH3_freeState);
  if (!state || XXH3_64bits_reset(state.get()) != XXH_OK)
    throw std::runtime_error("cannot checksum '" + path + "': out of memory");
  read_chunks(path, [&](const char* p, std::size_t n) { XXH3_64bits_update(state.get(), p, n); });
  return XXH3_64bits_digest(state.get());
}

}  // namespace sluice::state
