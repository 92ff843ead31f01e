// The runtime's message vocabulary: atoms and the types carried between task actors and the
// job coordinator. Every type here is inspectable and registered by register_wire_types(), the
// single place every binary configures CAF (an unregistered type fails only on the wire).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/fwd.hpp>
#include <caf/sec.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/save_callback.hpp>
#include <caf/meta/type_name.hpp>

#include "sluice/batch.hpp"

namespace sluice::actors {

// Data plane: task -> task.
using data_atom = caf::atom_constant<caf::atom("data")>;      // (input, batch_handle)
using credit_atom = caf::atom_constant<caf::atom("credit")>;  // (output, n)
using epoch_atom = caf::atom_constant<caf::atom("epoch")>;    // (input, epoch)
using eos_atom = caf::atom_constant<caf::atom("eos")>;        // (input)
// Control plane: coordinator <-> task.
using wire_atom = caf::atom_constant<caf::atom("wire")>;      // (actors by task id)
using start_atom = caf::atom_constant<caf::atom("start")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using done_atom = caf::atom_constant<caf::atom("done")>;      // (task, metrics)
using fail_atom = caf::atom_constant<caf::atom("fail")>;      // (task, reason)
using metric_atom = caf::atom_constant<caf::atom("metric")>;  // (task, metrics)
using run_atom = caf::atom_constant<caf::atom("run")>;
// Checkpoints.
using trigger_atom = caf::atom_constant<caf::atom("trigger")>;    // coordinator -> source: (id)
using barrier_atom = caf::atom_constant<caf::atom("barrier")>;    // task -> task: (input, id)
using snapshot_atom = caf::atom_constant<caf::atom("snapshot")>;  // coordinator -> finished task: (id)
using ack_atom = caf::atom_constant<caf::atom("ack")>;            // task -> coordinator: (id, task, task_ack)
using decline_atom = caf::atom_constant<caf::atom("decline")>;    // task -> coordinator: (id, task, reason)
using complete_atom = caf::atom_constant<caf::atom("complete")>;  // coordinator -> task: (id, final)
using abort_atom = caf::atom_constant<caf::atom("abort")>;        // job manager -> coordinator: (reason)
// Cluster: worker node <-> job manager (actors/cluster.hpp).
using jobargs_atom = caf::atom_constant<caf::atom("jobargs")>;    // -> job command line
using join_atom = caf::atom_constant<caf::atom("join")>;          // (name, slots, fingerprint, dir token) -> id
using deploy_atom = caf::atom_constant<caf::atom("deploy")>;      // (attempt, restore, ids, coordinator) -> actors
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;      // (attempt): kill its tasks, answer when gone
using finished_atom = caf::atom_constant<caf::atom("finished")>;  // (ok): the job is over
using lease_atom = caf::atom_constant<caf::atom("lease")>;        // worker -> job manager: (asked) -> asked
// Self-messages.
using poll_atom = caf::atom_constant<caf::atom("poll")>;
using linger_atom = caf::atom_constant<caf::atom("linger")>;
using timer_atom = caf::atom_constant<caf::atom("timer")>;    // (operator index in chain)
using report_atom = caf::atom_constant<caf::atom("report")>;

/// A batch in a message. Locally the pointer travels (no copy); on the wire the records are
/// serialized through the codec registry (sluice/codec.hpp).
struct batch_handle {
  batch_ptr ptr;
  std::vector<char> wire;  ///< only used while (de)serializing
};

bool encode_handle(batch_handle& h);
bool decode_handle(batch_handle& h);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch_handle& x) {
  // Order matters: encode before the bytes are written, decode after they were read.
  auto on_save = [&]() -> caf::error {
    return encode_handle(x) ? caf::error{} : caf::make_error(caf::sec::runtime_error);
  };
  auto on_load = [&]() -> caf::error {
    return decode_handle(x) ? caf::error{} : caf::make_error(caf::sec::runtime_error);
  };
  return f(caf::meta::type_name("sluice.batch"), caf::meta::save_callback(on_save), x.wire,
           caf::meta::load_callback(on_load));
}

/// Counters one subtask reports. Plain data; summed per operator by the coordinator.
struct task_metrics {
  uint64_t records_in = 0;
  uint64_t records_out = 0;
  uint64_t batches_in = 0;
  uint64_t batches_out = 0;
  uint64_t bytes_read = 0;          ///< sources: input bytes consumed
  uint64_t bytes_total = 0;         ///< sources: input size when known (for progress)
  uint64_t backpressure_ns = 0;     ///< time with output ready but no credit to send it
  uint64_t max_in_flight_records = 0;  ///< max over output channels of sent-but-unconsumed records
  uint64_t max_in_flight_batches = 0;
  /// Records that entered each chained operator, by chain position; the last entry counts what
  /// left the chain.
  std::vector<uint64_t> op_records;
  /// Dead letters of each chained operator, by position among the operators.
  std::vector<uint64_t> op_dead_letters;
  /// Gauges of the chained operators: "position:name" and value.
  std::vector<std::string> gauge_names;
  std::vector<double> gauge_values;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_metrics& x) {
  return f(caf::meta::type_name("sluice.task_metrics"), x.records_in, x.records_out, x.batches_in,
           x.batches_out, x.bytes_read, x.bytes_total, x.backpressure_ns, x.max_in_flight_records,
           x.max_in_flight_batches, x.op_records, x.op_dead_letters, x.gauge_names, x.gauge_values);
}

/// Registers every type of this header with a CAF configuration.
void register_wire_types(caf::actor_system_config& cfg);

}  // namespace sluice::actors
