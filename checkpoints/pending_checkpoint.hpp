// A checkpoint that was triggered and waits for every task's acknowledgement. Acks are answered
// as success, duplicate (this task already acked), unknown (no such pending checkpoint) or
// discarded (it was aborted). Owned by the checkpoint coordinator; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checkpoints/ack.hpp"
#include "checkpoints/manifest.hpp"

namespace sluice::checkpoints {

enum class ack_result { success, duplicate, unknown, discarded };

const char* to_string(ack_result r);

class pending_checkpoint {
 public:
  using clock = std::chrono::steady_clock;

  pending_checkpoint(uint64_t id, std::size_t tasks, bool final, clock::time_point started);

  uint64_t id() const { return id_; }
  bool final() const { return final_; }
  clock::time_point started() const { return started_; }
  ack_result acknowledge(uint32_t task, task_ack ack);
  bool acknowledged(uint32_t task) const { return acks_.at(task).has_value(); }
  bool fully_acknowledged() const { return remaining_ == 0; }
  /// The manifest of this checkpoint once fully acknowledged.
  manifest to_manifest(const std::string& job, uint32_t max_parallelism) const;

 private:
  uint64_t id_;
  bool final_;
  clock::time_point started_;
  std::vector<std::optional<task_ack>> acks_;
  std::size_t remaining_;
};

}  // namespace sluice::checkpoints
