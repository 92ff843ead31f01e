// The actor shell around a task_runner: turns messages into calls, schedules polls, linger
// flushes and operator timers, and reports to the coordinator (done / fail / metrics).
#pragma once

#include <cstdint>
#include <memory>

#include <caf/fwd.hpp>

#include "actors/physical_plan.hpp"

namespace sluice::actors {

/// Spawns the actor of task `task_id`. The plan must outlive the actor.
caf::actor spawn_task(caf::actor_system& sys, std::shared_ptr<const physical_plan> plan,
                      uint32_t task_id, const caf::actor& coordinator);

}  // namespace sluice::actors
