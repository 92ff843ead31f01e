// Named fault points for the failure-injection tests: the environment variable
// SLUICE_FAULT=NAME[:N] makes the process SIGKILL itself the Nth time (default first) it passes
// fault point NAME. Off (one relaxed atomic load) when the variable is unset. Thread-safe.
//
// Points: sink_after_precommit, sink_mid_commit, sink_after_commit (file sink, per part file),
// coordinator_before_manifest, coordinator_after_manifest (before sinks are told to commit),
// task_after_snapshot; Kafka sink (exactly-once): kafka_sink_before_publish (a completed
// checkpoint made epochs publishable), kafka_sink_mid_publish (per message handed to the
// producer), kafka_sink_after_publish (an epoch fully delivered), kafka_sink_mid_recovery (per
// message republished by a recovery).
#pragma once

namespace sluice::checkpoints {

/// Kills the process here if SLUICE_FAULT names this point (and its count is reached).
void fault_point(const char* name);

}  // namespace sluice::checkpoints
