// A checkpoint directory as a test sees it from outside the job, without the library: the layout
// of checkpoints/storage.hpp (DIR/chk-N/manifest.json; a checkpoint is completed once its
// manifest is there).
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sluice::test {

inline std::string manifest_path(const std::string& dir, uint64_t id) {
  return dir + "/chk-" + std::to_string(id) + "/manifest.json";
}

/// Ids of the checkpoints of `dir` whose manifest is present (completed ones), ascending; none
/// when `dir` does not exist.
inline std::vector<uint64_t> manifest_ids(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<uint64_t> ids;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return ids;
  for (const auto& e : fs::directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (name.rfind("chk-", 0) != 0 || name.size() == 4 ||
        name.find_first_not_of("0123456789", 4) != std::string::npos)
      continue;
    if (fs::exists(e.path() / "manifest.json", ec))
      ids.push_back(std::stoull(name.substr(4)));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace sluice::test
