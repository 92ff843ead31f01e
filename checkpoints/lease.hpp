// The fencing lease of a worker process. A worker's tasks act only while the coordinator keeps
// granting it: each heartbeat interval the worker asks the job manager, and an answer extends the
// lease to (when the question was sent) + the node timeout, on the worker's own monotonic clock.
// Counting from the question, not the answer, makes a stale answer (one that waited in a socket
// while the worker was hung) worthless. A task whose lease ran out (a worker hung or cut off for
// longer than the node timeout, so the coordinator has declared it dead and may already run its
// subtasks elsewhere) stops before it handles another message. Unarmed — as in a local run — it
// never runs out.
// Writers that create or rename files check it too (check_lease), because a task that was
// stopped in the middle of a message goes on with that message when it wakes up.
// Process-wide and thread-safe (one atomic).
#pragma once

#include <chrono>
#include <cstdint>

namespace sluice::checkpoints {

/// Now on the lease's clock (steady_clock, in ns).
int64_t lease_clock_ns();
/// Arms the lease (if needed) and extends it to `asked_ns` + `validity` (never shortens it).
void extend_lease(int64_t asked_ns, std::chrono::milliseconds validity);
/// The lease is armed and has run out.
bool lease_expired();
/// Back to unarmed (a worker between jobs).
void disarm_lease();
/// Throws std::runtime_error naming `what` when the lease ran out: called by writers right
/// before they create or rename a file, so a worker woken from a hang mid-batch adds nothing.
void check_lease(const char* what);

}  // namespace sluice::checkpoints
