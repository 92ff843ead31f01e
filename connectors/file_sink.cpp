#include "connectors/file_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "checkpoints/fault_points.hpp"
#include "checkpoints/lease.hpp"

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

part_file_writer::part_file_writer(file_sink_options opts, uint32_t subtask, bool replace,
                                   bool transactional)
    : opts_(std::move(opts)), subtask_(subtask), replace_(replace), transactional_(transactional) {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  token_ = buf;
}

part_file_writer::~part_file_writer() {
  if (fd_ >= 0)
    ::close(fd_);
  if (!transactional_ && !tmp_path_.empty())
    ::unlink(tmp_path_.c_str());  // never committed: not part of the output
}

std::string part_file_writer::hidden_name(uint64_t seq) const {
  return opts_.dir + "/." + opts_.prefix + "-" + std::to_string(subtask_) + "-" +
         std::to_string(seq) + "." + token_ + ".inprogress";
}

std::string part_file_writer::visible_name(uint64_t seq) const {
  auto base = opts_.dir + "/" + opts_.prefix + "-" + std::to_string(subtask_);
  return replace_ ? base : base + "-" + std::to_string(seq);
}

void part_file_writer::open() {
  std::error_code ec;
  fs::create_directories(opts_.dir, ec);
  if (ec)
    throw std::runtime_error("cannot create output directory '" + opts_.dir + "': " + ec.message());
  // Continue numbering after parts of an earlier run, so nothing is overwritten.
  auto prefix = opts_.prefix + "-" + std::to_string(subtask_) + "-";
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
  checkpoints::check_lease("create a part file");
  tmp_path_ = hidden_name(seq_);
  // O_EXCL: a name is never reused, so nothing another writer created is ever truncated.
  fd_ = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
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

void part_file_writer::publish(const part& p) const {
  checkpoints::check_lease("commit a part file");
  if (transactional_)
    checkpoints::fault_point("sink_mid_commit");
  if (::rename(p.hidden.c_str(), p.visible.c_str()) != 0) {
    if (errno == ENOENT && fs::exists(p.visible))
      return;  // committed before (recovery commits again): nothing to do
    fail("cannot commit part file", p.visible);
  }
  fsync_dir(opts_.dir);
  if (transactional_)
    checkpoints::fault_point("sink_after_commit");
}

void part_file_writer::roll() {
  if (fd_ < 0)
    open_part();  // complete mode: an empty result replaces the previous one too
  if (::fsync(fd_) != 0)
    fail("cannot sync part file", tmp_path_);
  ::close(fd_);
  fd_ = -1;
  part p{0, tmp_path_, visible_name(seq_)};
  ++seq_;
  tmp_path_.clear();
  bytes_ = 0;
  if (!transactional_) {
    publish(p);
    return;
  }
  if (replace_) {  // a newer full result supersedes results not yet pre-committed
    for (const auto& old : ended_)
      ::unlink(old.hidden.c_str());
    ended_.clear();
  }
  ended_.push_back(std::move(p));
}

std::string part_file_writer::precommit(uint64_t id) {
  if (!replace_ && has_data())
    roll();  // everything written so far belongs to this checkpoint
  for (auto& p : ended_) {
    p.checkpoint = id;
    pending_.push_back(std::move(p));
  }
  ended_.clear();
  if (!pending_.empty())
    checkpoints::fault_point("sink_after_precommit");
  nlohmann::json j;
  j["seq"] = seq_;
  auto& parts = j["pending"] = nlohmann::json::array();
  for (const auto& p : pending_)
    parts.push_back({p.checkpoint, p.hidden, p.visible});
  return j.dump();
}

void part_file_writer::commit_upto(uint64_t id) {
  std::size_t done = 0;
  for (; done < pending_.size() && pending_[done].checkpoint <= id; ++done)
    publish(pending_[done]);
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
}

void part_file_writer::remove_stale_results(uint32_t parallelism) const {
  auto prefix = opts_.prefix + "-";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(opts_.dir, ec)) {
    auto name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0)
      continue;
    auto rest = name.substr(prefix.size());
    if (!rest.empty() && rest.find_first_not_of("0123456789") == std::string::npos &&
        std::stoull(rest) >= parallelism)
      fs::remove(e.path(), ec);
  }
}

std::string part_file_writer::describe() const {
  nlohmann::json parts = nlohmann::json::array();
  for (const auto& p : pending_)
    parts.push_back({{"checkpoint", p.checkpoint},
                     {"file", fs::path(p.visible).filename().string()}});
  return nlohmann::json{{"pending_commits", parts}}.dump();
}

void part_file_writer::restore(const std::string& state) {
  pending_.clear();
  ended_.clear();
  if (!state.empty()) {
    auto j = nlohmann::json::parse(state);
    seq_ = std::max<uint64_t>(seq_, j.at("seq").get<uint64_t>());
    for (const auto& p : j.at("pending"))
      publish(part{p.at(0).get<uint64_t>(), p.at(1).get<std::string>(), p.at(2).get<std::string>()});
  }
  // Whatever else this subtask left in progress belongs to no completed checkpoint.
  discard_in_progress(opts_.dir, opts_.prefix, subtask_);
}

void part_file_writer::discard_in_progress(const std::string& dir, const std::string& prefix,
                                           uint32_t subtask) {
  auto hidden = "." + prefix + "-" + std::to_string(subtask) + "-";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    auto name = e.path().filename().string();
    if (name.rfind(hidden, 0) == 0 && name.size() > 11 &&
        name.compare(name.size() - 11, 11, ".inprogress") == 0)
      fs::remove(e.path(), ec);
  }
}

}  // namespace sluice
