#include "checkpoints/storage.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "state/snapshot_format.hpp"

namespace fs = std::filesystem;

namespace sluice::checkpoints {

namespace {

constexpr const char* manifest_name = "manifest.json";

std::optional<uint64_t> id_of(const std::string& name) {
  if (name.rfind("chk-", 0) != 0 || name.size() == 4)
    return std::nullopt;
  auto rest = name.substr(4);
  if (rest.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoull(rest);
}

std::vector<uint64_t> all_ids(const std::string& dir) {
  std::vector<uint64_t> ids;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return ids;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (auto id = id_of(e.path().filename().string()); id && e.is_directory(ec))
      ids.push_back(*id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

checkpoint_storage::checkpoint_storage(std::string dir) : dir_(std::move(dir)) {}

std::string checkpoint_storage::checkpoint_dir(uint64_t id) const {
  return dir_ + "/chk-" + std::to_string(id);
}

std::string checkpoint_storage::relative_path(uint64_t id, const std::string& uid,
                                              uint32_t subtask, const std::string& ext) {
  return "chk-" + std::to_string(id) + "/" + uid + "/" + std::to_string(subtask) + ext;
}

std::vector<uint64_t> checkpoint_storage::list_completed() const {
  std::vector<uint64_t> out;
  for (auto id : all_ids(dir_))
    if (fs::exists(checkpoint_dir(id) + "/" + manifest_name))
      out.push_back(id);
  return out;
}

uint64_t checkpoint_storage::max_id() const {
  auto ids = all_ids(dir_);
  return ids.empty() ? 0 : ids.back();
}

manifest checkpoint_storage::load(uint64_t id) const {
  auto path = checkpoint_dir(id) + "/" + manifest_name;
  std::ifstream f(path);
  if (!f)
    throw std::runtime_error("manifest missing");
  std::stringstream ss;
  ss << f.rdbuf();
  auto m = manifest_from_json(ss.str());
  if (m.id != id)
    throw std::runtime_error("manifest names checkpoint " + std::to_string(m.id));
  return m;
}

manifest checkpoint_storage::load_verified(uint64_t id) const {
  auto m = load(id);
  for (const auto& op : m.operators)
    for (const auto& s : op.subtasks) {
      if (!s.state_file.empty()) {
        auto path = dir_ + "/" + s.state_file;
        std::error_code ec;
        auto size = fs::file_size(path, ec);
        if (ec)
          throw std::runtime_error("state file " + s.state_file + " is missing");
        if (size != s.state_bytes)
          throw std::runtime_error("state file " + s.state_file + " has " + std::to_string(size) +
                                   " bytes, the manifest says " + std::to_string(s.state_bytes));
        if (state::file_checksum(path) != s.state_checksum)
          throw std::runtime_error("state file " + s.state_file + " fails its checksum");
      }
      for (const auto& f : s.external_files)
        if (!fs::exists(dir_ + "/" + s.external_dir + "/" + f))
          throw std::runtime_error("file " + s.external_dir + "/" + f + " is missing");
    }
  return m;
}

void checkpoint_storage::complete(const manifest& m) const {
  auto dir = checkpoint_dir(m.id);
  fs::create_directories(dir);
  state::write_file_atomically(dir + "/" + manifest_name, to_json(m));
}

void checkpoint_storage::discard(uint64_t id) const {
  std::error_code ec;
  fs::remove_all(checkpoint_dir(id), ec);
}

void checkpoint_storage::retain(uint32_t retained) const {
  auto done = list_completed();
  if (done.empty())
    return;
  retained = std::max<uint32_t>(retained, 1);  // recovery always needs the newest one
  std::size_t keep_from = done.size() > retained ? done.size() - retained : 0;
  uint64_t oldest_kept = done[keep_from];
  for (auto id : all_ids(dir_)) {
    bool completed = std::binary_search(done.begin(), done.end(), id);
    if (id < oldest_kept || (!completed && id < done.back()))
      discard(id);
  }
}

recovery_choice choose_recovery(const checkpoint_storage& storage) {
  recovery_choice r;
  auto ids = storage.list_completed();
  std::string latest_reason;
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    try {
      r.chosen = storage.load_verified(*it);
      break;
    } catch (const std::exception& e) {
      if (latest_reason.empty())
        latest_reason = "checkpoint " + std::to_string(*it) + ": " + e.what();
      r.warnings.push_back("checkpoint " + std::to_string(*it) + " in " + storage.dir() +
                           " is damaged (" + e.what() + "), trying an older one");
    }
  }
  if (!r.chosen && !ids.empty())
    r.error = "no valid checkpoint in " + storage.dir() + " (latest " + latest_reason +
              "); use --from-scratch to start over";
  return r;
}

}  // namespace sluice::checkpoints
