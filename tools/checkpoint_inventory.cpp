#include "tools/checkpoint_inventory.hpp"

#include <algorithm>
#include <exception>
#include <filesystem>

namespace fs = std::filesystem;

namespace sluice::tools {

namespace {

/// N of a directory named "chk-N". checkpoint_storage parses these names too but lists only the
/// completed ones; the tool must also show the incomplete ones.
std::optional<uint64_t> checkpoint_id(const std::string& name) {
  constexpr std::string_view prefix = "chk-";
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0 ||
      name.size() - prefix.size() > 19)
    return std::nullopt;
  auto digits = name.substr(prefix.size());
  if (digits.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoull(digits);
}

std::vector<uint64_t> checkpoint_ids(const std::string& dir) {
  std::vector<uint64_t> ids;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::error_code type_ec;
    if (auto id = checkpoint_id(e.path().filename().string()); id && e.is_directory(type_ec))
      ids.push_back(*id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

checkpoint_entry examine(const checkpoints::checkpoint_storage& storage, uint64_t id) {
  checkpoint_entry e;
  e.id = id;
  std::error_code ec;
  if (!fs::exists(storage.checkpoint_dir(id) + "/manifest.json", ec))
    return e;  // incomplete
  try {
    e.manifest = storage.load_verified(id);
  } catch (const std::exception& ex) {
    e.status = checkpoint_status::damaged;
    e.reason = ex.what();
    try {
      e.manifest = storage.load(id);  // damaged state files, readable manifest: still worth showing
    } catch (const std::exception&) {
      // the manifest itself is damaged: there is nothing to show beyond the reason
    }
    return e;
  }
  e.status = e.manifest->final ? checkpoint_status::final : checkpoint_status::complete;
  return e;
}

}  // namespace

std::string describe(checkpoint_status status, const std::string& reason) {
  switch (status) {
    case checkpoint_status::complete:
      return "complete";
    case checkpoint_status::final:
      return "final";
    case checkpoint_status::incomplete:
      return "incomplete (no manifest)";
    case checkpoint_status::damaged:
      return "damaged: " + reason;
  }
  return "unknown";
}

std::vector<checkpoint_entry> inventory(const checkpoints::checkpoint_storage& storage) {
  std::vector<checkpoint_entry> entries;
  for (auto id : checkpoint_ids(storage.dir()))
    entries.push_back(examine(storage, id));
  return entries;
}

std::optional<checkpoint_entry> find_checkpoint(const checkpoints::checkpoint_storage& storage,
                                                uint64_t id) {
  std::error_code ec;
  if (!fs::is_directory(storage.checkpoint_dir(id), ec))
    return std::nullopt;
  return examine(storage, id);
}

}  // namespace sluice::tools
