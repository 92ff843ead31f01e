// Helpers of the keyed-state tests: backends as test-case template parameters, and one
// operator's task contexts and snapshots on a backend, written and handed back the way a task
// and a restore do it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sluice/checkpointing.hpp"
#include "sluice/operator.hpp"
#include "state/snapshot_format.hpp"
#include "state/store.hpp"
#include "tests/fakes/temp_dir.hpp"

namespace sluice::test {

/// A state backend as a type parameter of BOOST_AUTO_TEST_CASE_TEMPLATE. Each test file derives
/// its own named tags (memory_backend, rocksdb_backend) in its anonymous namespace: Boost.Test
/// puts the tag's qualified name into the test case's name, so that is where they stay.
template <backend_kind Kind>
struct backend_tag {
  static constexpr backend_kind kind = Kind;
};

/// Task contexts and snapshots of operator "op" on one backend, in a temp dir removed with it:
/// each context gets its own state dir (a RocksDB store wipes its directory when it opens), each
/// snapshot its own checkpoint directory.
class backend_env {
 public:
  static constexpr uint32_t key_groups = 128;  ///< the contexts' max_parallelism

  explicit backend_env(backend_kind kind) : kind_(kind) {}

  task_context context(uint32_t subtask = 0, uint32_t parallelism = 1) {
    task_context ctx;
    ctx.uid = "op";
    ctx.subtask = subtask;
    ctx.parallelism = parallelism;
    ctx.max_parallelism = key_groups;
    ctx.state_backend = kind_;
    ctx.state_dir = (dir_.path() / ("work-" + std::to_string(next_++))).string();
    return ctx;
  }

  /// Snapshots `store` as a task does at a barrier (state file if there are sections, external
  /// dir if files were written there) and returns what a later restore of that subtask reads.
  restore_part snapshot(state::keyed_state_store& store, const task_context& ctx) {
    namespace fs = std::filesystem;
    auto where = dir_.path() / ("chk-" + std::to_string(next_++));
    fs::create_directories(where);
    operator_snapshot snap;
    snap.external_dir = (where / (std::to_string(ctx.subtask) + ".rocksdb")).string();
    store.snapshot(snap);
    restore_part part;
    part.subtask = ctx.subtask;
    part.key_group_first = ctx.key_group_first();
    part.key_group_last = ctx.key_group_last();
    if (!snap.sections.empty()) {
      auto path = (where / (std::to_string(ctx.subtask) + ".state")).string();
      snap.sections.write(path);
      part.file = std::make_shared<state::snapshot_reader>(path);
    }
    if (!snap.external_files.empty())
      part.external_dir = snap.external_dir;
    return part;
  }

 private:
  backend_kind kind_;
  temp_dir dir_;
  int next_ = 0;
};

/// The restore of checkpoint 1 handing over `parts`, one per subtask of the old parallelism.
inline operator_restore restore_of(std::vector<restore_part> parts) {
  operator_restore r;
  r.checkpoint_id = 1;
  r.old_parallelism = static_cast<uint32_t>(parts.size());
  r.parts = std::move(parts);
  return r;
}

}  // namespace sluice::test
