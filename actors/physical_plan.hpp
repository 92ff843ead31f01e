// The physical plan: the logical graph expanded into tasks (one actor each). Stateless operators
// with the same parallelism fuse into one chain task; every non-forward edge gets one partition
// task per upstream subtask that routes batches by key group, round-robin or broadcast.
// Immutable after build_plan; shared read-only by all task actors.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "checkpoints/manifest.hpp"
#include "sluice/job_graph.hpp"

namespace sluice::actors {

/// Runtime knobs that shape the plan and its channels.
struct plan_options {
  uint32_t parallelism = 1;        ///< default parallelism of nodes that set none
  uint32_t max_parallelism = 128;  ///< key groups
  uint32_t batch_size = 1024;      ///< records per batch
  uint32_t linger_ms = 10;         ///< a partial batch waits at most this long
  uint32_t credits = 8;            ///< batches in flight per channel
  std::string checkpoint_dir;      ///< where checkpoints go; "" disables checkpointing
  backend_kind state_backend = backend_kind::memory;
  std::string state_dir;           ///< working directory of RocksDB state
  std::string dead_letter_dir;     ///< where malformed records go
  uint32_t checkpoints_retained = 3;
};

enum class task_kind { source, chain, partition };

/// One end of a channel: a task and the index of the channel among its inputs or outputs.
struct endpoint {
  uint32_t task = 0;
  uint32_t index = 0;
  uint32_t port = 0;  ///< inputs: which input of a two-input operator (0 or 1)
};

struct task_spec {
  uint32_t id = 0;
  std::string name;                ///< e.g. "count-3#1" or "partition(tokenize-1)#0"
  task_kind kind = task_kind::chain;
  std::vector<uint32_t> chain;     ///< logical nodes run in this task (empty for partitions)
  task_context ctx;                ///< of the chain's head (uid, subtask, parallelism)
  std::vector<endpoint> inputs;    ///< input i comes from (task, its output index)
  std::vector<endpoint> outputs;   ///< output o goes to (task, its input index)
  router_factory output_router;    ///< splits output over `outputs`; empty when there are none
};

struct physical_plan {
  const job_graph* graph = nullptr;
  plan_options options;
  std::vector<task_spec> tasks;
  /// Effective parallelism per logical node.
  std::vector<uint32_t> parallelism;
  /// The checkpoint to restore from, if any.
  std::shared_ptr<const checkpoints::manifest> restore;

  bool checkpointing() const { return !options.checkpoint_dir.empty(); }
  /// The context of `node` in subtask `subtask` (uid, parallelism, state directories).
  task_context context_of(uint32_t node, uint32_t subtask) const;
  /// A fingerprint of the job's shape: operator uids and kinds, in graph order.
  std::string fingerprint() const;
};

/// Thrown for graphs the runtime cannot run; the message names the operator and the problem.
struct plan_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

physical_plan build_plan(const job_graph& g, const plan_options& opts);

}  // namespace sluice::actors
