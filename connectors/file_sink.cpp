#include "connectors/file_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace fs = std::filesystem;

namespace sluice {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " '" + path + "': " + std::strerror(errno));
}

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

part_file_writer::part_file_writer(file_sink_options opts, uint32_t subtask, bool replace)
    : opts_(std::move(opts)), subtask_(subtask), replace_(replace) {}

part_file_writer::~part_file_writer() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(tmp_path_.c_str());  // never committed: not part of the output
  }
}

void part_file_writer::open() {
  std::error_code ec;
  fs::create_directories(opts_.dir, ec);
  if (ec)
    throw std::runtime_error("cannot create output directory '" + opts_.dir + "': " + ec.message());
  // Continue numbering after parts of an earlier run, so nothing is overwritten.
  auto prefix = "part-" + std::to_string(subtask_) + "-";
  for (const auto& e : fs::directory_iterator(opts_.dir, ec)) {
    auto name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0) {
      auto rest = name.substr(prefix.size());
      if (!rest.empty() && rest.find_first_not_of("0123456789") == std::string::npos)
        seq_ = std::max<uint64_t>(seq_, std::stoull(rest) + 1);
    }
  }
}

void part_file_writer::open_part() {
  tmp_path_ = opts_.dir + "/.part-" + std::to_string(subtask_) + "-" + std::to_string(seq_) +
              ".inprogress";
  fd_ = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0)
    fail("cannot create part file", tmp_path_);
  bytes_ = 0;
}

void part_file_writer::append(const std::string& text) {
  if (fd_ < 0)
    open_part();
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    auto n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      fail("cannot write part file", tmp_path_);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  bytes_ += text.size();
}

void part_file_writer::commit() {
  if (fd_ < 0)
    open_part();  // complete mode: an empty result replaces the previous one too
  if (::fsync(fd_) != 0)
    fail("cannot sync part file", tmp_path_);
  ::close(fd_);
  fd_ = -1;
  auto final_path = opts_.dir + "/part-" + std::to_string(subtask_);
  if (!replace_)
    final_path += "-" + std::to_string(seq_++);
  if (::rename(tmp_path_.c_str(), final_path.c_str()) != 0)
    fail("cannot commit part file", final_path);
  fsync_dir(opts_.dir);
  bytes_ = 0;
}

}  // namespace sluice
