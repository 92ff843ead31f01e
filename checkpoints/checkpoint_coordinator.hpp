// The checkpoint coordinator's logic, free of actors: decides when to trigger (one checkpoint at a
// time), tracks acknowledgements, completes a checkpoint by writing its manifest atomically (only
// then is it complete and may sinks commit), aborts on timeout or decline (the job goes on), and
// applies retention. Used by the job coordinator actor only; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "checkpoints/pending_checkpoint.hpp"
#include "checkpoints/storage.hpp"

namespace sluice::checkpoints {

struct coordinator_options {
  uint32_t interval_ms = 1000;   ///< between triggers; 0: only the final checkpoint
  uint32_t timeout_ms = 60000;   ///< a checkpoint not complete by then is aborted
  uint32_t retained = 3;         ///< completed checkpoints kept
};

/// Why a checkpoint did not complete.
struct checkpoint_failure {
  uint64_t id = 0;
  std::string reason;
};

class checkpoint_coordinator {
 public:
  using clock = std::chrono::steady_clock;

  checkpoint_coordinator(checkpoint_storage storage, std::string job, uint32_t max_parallelism,
                         std::size_t tasks, uint64_t next_id, coordinator_options opts);

  /// Starts a checkpoint when none is pending; its id, or nullopt.
  std::optional<uint64_t> trigger(bool final = false);
  const pending_checkpoint* pending() const { return pending_ ? &*pending_ : nullptr; }

  ack_result acknowledge(uint64_t id, uint32_t task, task_ack ack);
  /// Aborts checkpoint `id` (a task declined it).
  std::optional<checkpoint_failure> decline(uint64_t id, const std::string& reason);
  /// Aborts the pending checkpoint if it ran past its timeout.
  std::optional<checkpoint_failure> expire();
  /// When every task acknowledged: writes the manifest, applies retention, returns it. Throws
  /// std::runtime_error if the manifest cannot be written (the checkpoint is then aborted).
  std::optional<manifest> try_complete();

  uint64_t completed() const { return completed_; }
  uint64_t failed() const { return failed_; }
  const std::optional<manifest>& last_completed() const { return last_; }
  const coordinator_options& options() const { return opts_; }

 private:
  checkpoint_storage storage_;
  std::string job_;
  uint32_t max_parallelism_;
  std::size_t tasks_;
  uint64_t next_id_;
  coordinator_options opts_;
  std::optional<pending_checkpoint> pending_;
  uint64_t completed_ = 0;
  uint64_t failed_ = 0;
  std::optional<manifest> last_;
};

}  // namespace sluice::checkpoints
