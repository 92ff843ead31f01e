// Placement of a plan's tasks on workers, as Flink's slot sharing: a worker offers `slots`;
// slot s runs subtask s of every operator (and the partition task of that subtask), so a job
// needs as many slots as its highest parallelism. Slots are taken round-robin over the workers
// (first slot of each worker, then the second, ...), which spreads subtasks evenly.
#pragma once

#include <cstdint>
#include <vector>

#include "actors/physical_plan.hpp"

namespace sluice::actors {

/// Slots `plan` needs: its highest operator parallelism.
uint32_t slots_needed(const physical_plan& plan);

/// For each task id, the index of its worker in `slots_per_worker`; empty when the workers
/// offer fewer than slots_needed(plan) slots.
std::vector<uint32_t> place_tasks(const physical_plan& plan,
                                  const std::vector<uint32_t>& slots_per_worker);

}  // namespace sluice::actors
