// The job coordinator: deploys every task of a plan as an actor, wires the channels, monitors
// every actor, reports progress, and answers the `run` request with the job's outcome: success
// with metrics when every task finished, or failure naming the first task that failed or died.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/messages.hpp"
#include "actors/physical_plan.hpp"
#include "checkpoints/checkpoint_coordinator.hpp"

namespace sluice::actors {

struct job_outcome {
  bool ok = false;
  std::string error;                ///< one line, when !ok
  std::vector<task_metrics> tasks;  ///< by task id (last report of each)
  double seconds = 0;               ///< wall time from deploy to the end
  uint64_t checkpoints_completed = 0;
  uint64_t checkpoints_failed = 0;
  uint64_t last_checkpoint_id = 0;
  uint64_t last_checkpoint_ms = 0;     ///< trigger to completion
  uint64_t last_checkpoint_bytes = 0;  ///< state files of the last completed checkpoint
  /// The attempt failed because a node was lost (a link to a task's node broke or the job
  /// manager aborted it): a restart from the latest checkpoint may succeed.
  bool node_lost = false;
  uint32_t restarts = 0;  ///< multi-node: attempts restarted after a lost worker
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_outcome& x) {
  return f(caf::meta::type_name("sluice.job_outcome"), x.ok, x.error, x.tasks, x.seconds,
           x.checkpoints_completed, x.checkpoints_failed, x.last_checkpoint_id,
           x.last_checkpoint_ms, x.last_checkpoint_bytes, x.node_lost, x.restarts);
}

struct coordinator_options {
  bool progress = false;  ///< print a progress line to stderr about once a second
  /// Set (e.g. by a signal handler) to stop the sources; the job then drains and ends.
  const std::atomic<bool>* stop_flag = nullptr;
  /// Checkpoint settings; used when the plan has a checkpoint directory.
  checkpoints::coordinator_options checkpoints;
  /// Id of the first checkpoint this run takes (after those already in the directory).
  uint64_t first_checkpoint_id = 1;
};

/// Spawns the coordinator of one attempt to run `plan`. `run_atom` deploys every task in this
/// process; `(run_atom, tasks)` runs tasks already spawned elsewhere (by workers), by task id;
/// `(abort_atom, reason)` fails the attempt as a lost node. Both `run` requests answer with the
/// job_outcome.
caf::actor spawn_coordinator(caf::actor_system& sys, std::shared_ptr<const physical_plan> plan,
                             coordinator_options opts);

/// Deploys and runs the plan to its end; blocks the calling thread.
job_outcome run_plan(caf::actor_system& sys, std::shared_ptr<const physical_plan> plan,
                     coordinator_options opts);

}  // namespace sluice::actors
