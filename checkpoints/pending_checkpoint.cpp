#include "checkpoints/pending_checkpoint.hpp"

#include <algorithm>
#include <map>

namespace sluice::checkpoints {

const char* to_string(ack_result r) {
  switch (r) {
    case ack_result::success: return "success";
    case ack_result::duplicate: return "duplicate";
    case ack_result::unknown: return "unknown";
    case ack_result::discarded: return "discarded";
  }
  return "?";
}

pending_checkpoint::pending_checkpoint(uint64_t id, std::size_t tasks, bool final,
                                       clock::time_point started)
    : id_(id), final_(final), started_(started), acks_(tasks), remaining_(tasks) {}

ack_result pending_checkpoint::acknowledge(uint32_t task, task_ack ack) {
  if (task >= acks_.size())
    return ack_result::unknown;
  if (acks_[task])
    return ack_result::duplicate;
  acks_[task] = std::move(ack);
  --remaining_;
  return ack_result::success;
}

manifest pending_checkpoint::to_manifest(const std::string& job, uint32_t max_parallelism) const {
  manifest m;
  m.id = id_;
  m.job = job;
  m.max_parallelism = max_parallelism;
  m.final = final_;
  m.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  m.duration_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started_).count());
  std::map<std::string, std::size_t> index;
  for (const auto& ack : acks_) {
    if (!ack)
      continue;
    for (const auto& op : *ack) {
      auto [it, fresh] = index.try_emplace(op.uid, m.operators.size());
      if (fresh)
        m.operators.push_back({op.uid, op.parallelism, {}});
      m.operators[it->second].subtasks.push_back(op.state);
    }
  }
  for (auto& op : m.operators)
    std::sort(op.subtasks.begin(), op.subtasks.end(),
              [](const subtask_state& a, const subtask_state& b) { return a.subtask < b.subtask; });
  return m;
}

}  // namespace sluice::checkpoints
