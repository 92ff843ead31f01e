// Helpers of the checkpoint tests: a state file written into a checkpoint directory the way a
// task writes it at a barrier, so that storage and coordinator tests verify real files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "checkpoints/manifest.hpp"
#include "checkpoints/storage.hpp"
#include "state/snapshot_format.hpp"

namespace sluice::test {

/// Writes the state file of subtask `st.subtask` of operator "count" into checkpoint `id` of
/// `storage`: one section ("counts", `key_group`) holding `payload`. Sets `st.state_file`,
/// `st.state_checksum` and `st.state_bytes` to what the manifest must name.
inline void write_state_file(const checkpoints::checkpoint_storage& storage, uint64_t id,
                             checkpoints::subtask_state& st, uint32_t key_group,
                             const std::string& payload) {
  namespace fs = std::filesystem;
  st.state_file = checkpoints::checkpoint_storage::relative_path(id, "count", st.subtask, ".state");
  auto path = storage.dir() + "/" + st.state_file;
  fs::create_directories(fs::path(path).parent_path());
  state::snapshot_writer w;
  w.add({"counts", key_group}, payload);
  st.state_checksum = w.write(path);
  st.state_bytes = fs::file_size(path);
}

}  // namespace sluice::test
