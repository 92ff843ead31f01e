// task_runner's part in checkpoints: snapshot of the chain at a barrier, restore at start.
#include <filesystem>

#include "actors/task_runner.hpp"
#include "checkpoints/fault_points.hpp"
#include "checkpoints/storage.hpp"

namespace fs = std::filesystem;

namespace sluice::actors {

checkpoints::operator_ack task_runner::snapshot_operator(
    uint64_t id, uint32_t node, const std::function<void(operator_snapshot&)>& fill) {
  auto ctx = plan_.context_of(node, spec_.ctx.subtask);
  const auto& root = plan_.options.checkpoint_dir;
  operator_snapshot snap;
  snap.checkpoint_id = id;
  auto external_rel = checkpoints::checkpoint_storage::relative_path(id, ctx.uid, ctx.subtask, ".rocksdb");
  snap.external_dir = root + "/" + external_rel;
  fs::create_directories(fs::path(snap.external_dir).parent_path());
  fill(snap);
  checkpoints::operator_ack ack;
  ack.uid = ctx.uid;
  ack.parallelism = ctx.parallelism;
  auto& st = ack.state;
  st.subtask = ctx.subtask;
  st.key_group_first = ctx.key_group_first();
  st.key_group_last = ctx.key_group_last();
  st.description = snap.description;
  if (!snap.sections.empty()) {
    st.state_file = checkpoints::checkpoint_storage::relative_path(id, ctx.uid, ctx.subtask, ".state");
    auto path = root + "/" + st.state_file;
    st.state_checksum = snap.sections.write(path);
    st.state_bytes = fs::file_size(path);
  }
  if (!snap.external_files.empty()) {
    st.external_dir = external_rel;
    st.external_files = snap.external_files;
  }
  return ack;
}

void task_runner::take_snapshot(uint64_t id) {
  checkpoints::task_ack acks;
  try {
    std::size_t op = 0;
    for (auto node : spec_.chain) {
      if (plan_.graph->node(node).kind == node_kind::source)
        acks.push_back(snapshot_operator(id, node, [&](operator_snapshot& s) { source_->snapshot_state(s); }));
      else {
        auto k = op++;
        acks.push_back(snapshot_operator(id, node, [&](operator_snapshot& s) {
          call_op(k, [&](operator_logic& o) { o.snapshot_state(s); });
        }));
      }
    }
  } catch (const std::exception& e) {
    // A failed snapshot aborts this checkpoint, not the job.
    transport_.decline(id, spec_.name + ": " + e.what());
    return;
  }
  checkpoints::fault_point("task_after_snapshot");
  transport_.acknowledge(id, std::move(acks));
}

operator_restore task_runner::restore_for(uint32_t node,
                                          std::vector<std::shared_ptr<const state::snapshot_reader>>& keep) {
  auto ctx = plan_.context_of(node, spec_.ctx.subtask);
  const auto& m = *plan_.restore;
  operator_restore r;
  r.checkpoint_id = m.id;
  const auto* entry = m.find(ctx.uid);
  if (!entry)
    return r;  // an operator new to the job starts empty
  r.old_parallelism = entry->parallelism;
  auto first = ctx.key_group_first();
  auto last = ctx.key_group_last();
  const auto& root = plan_.options.checkpoint_dir;
  for (const auto& s : entry->subtasks) {
    bool overlaps = !(s.key_group_last < first || s.key_group_first > last);
    bool same_subtask = s.subtask == ctx.subtask && entry->parallelism == ctx.parallelism;
    if (!overlaps && !same_subtask)
      continue;
    restore_part part;
    part.subtask = s.subtask;
    part.key_group_first = s.key_group_first;
    part.key_group_last = s.key_group_last;
    if (!s.state_file.empty()) {
      part.file = std::make_shared<state::snapshot_reader>(root + "/" + s.state_file);
      keep.push_back(part.file);
      if (same_subtask)
        r.operator_state = part.file->find(state::section_id{"", state::no_key_group});
    }
    if (!s.external_dir.empty())
      part.external_dir = root + "/" + s.external_dir;
    if (overlaps)
      r.parts.push_back(std::move(part));
  }
  return r;
}

void task_runner::restore_chain() {
  restored_final_ = plan_.restore->final;
  std::size_t op = 0;
  for (auto node : spec_.chain) {
    std::vector<std::shared_ptr<const state::snapshot_reader>> keep;
    const auto& uid = plan_.graph->node(node).uid;
    if (plan_.graph->node(node).kind == node_kind::source) {
      try {
        source_->restore_state(restore_for(node, keep));
      } catch (const std::exception& e) {
        throw task_failure("cannot restore source '" + uid + "': " + e.what());
      }
    } else {
      auto k = op++;
      try {
        auto r = restore_for(node, keep);
        call_op(k, [&](operator_logic& o) { o.restore_state(r); });
      } catch (const task_failure&) {
        throw;
      } catch (const std::exception& e) {
        throw task_failure("cannot restore operator '" + uid + "': " + e.what());
      }
    }
  }
}

}  // namespace sluice::actors
