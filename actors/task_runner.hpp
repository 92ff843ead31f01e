// The logic of one task, free of CAF: runs its source or operator chain, feeds its output gate,
// consumes its input gate, and grants credits back. The actor shell (task_actor.cpp) turns
// messages into calls here; tests drive it directly with a fake transport.
// Lifecycle: construct → start → events … → finished() → metrics(). User code that throws turns
// into a task_failure carrying the operator uid and the message. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

#include "actors/input_gate.hpp"
#include "actors/messages.hpp"
#include "actors/output_gate.hpp"
#include "actors/physical_plan.hpp"
#include "actors/transport.hpp"

namespace sluice::actors {

struct task_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// What a source task should do after a poll.
enum class poll_next {
  now,      ///< more records may be ready: poll again right away (after the mailbox)
  later,    ///< nothing available: poll again after a pause
  blocked,  ///< output is waiting for credit: poll again when credit arrives
  never,    ///< the source is exhausted
};

class task_runner {
 public:
  task_runner(const physical_plan& plan, uint32_t task_id, transport& t);
  ~task_runner();

  /// Opens the logic and grants the initial credits to every input.
  void start();

  void on_batch(uint32_t input, batch_ptr b);
  void on_epoch(uint32_t input, uint64_t epoch);
  void on_eos(uint32_t input);
  void on_credit(uint32_t output, uint32_t n);
  void on_linger();
  /// Timer of chained operator `op` fired.
  void on_timer(std::size_t op);
  /// Sources only.
  poll_next poll();
  /// Sources: the coordinator triggered checkpoint `id`: snapshot, then emit the barrier.
  void on_trigger(uint64_t id);
  void on_barrier(uint32_t input, uint64_t id);
  /// A finished task is asked for its (final) state for checkpoint `id`.
  void on_snapshot_request(uint64_t id);
  /// Checkpoint `id` is durable; `final` when it is the job's last.
  void on_checkpoint_complete(uint64_t id, bool final);
  /// Stops a source early (job cancelled): it finishes as if its input ended.
  void request_stop();

  /// Periods of the chained operators' timers (zero: none), by chain index.
  std::vector<std::chrono::milliseconds> timer_periods() const;
  bool is_source() const { return source_ != nullptr; }
  /// Input ended, everything was flushed and end-of-stream was sent downstream.
  bool finished() const { return finished_; }
  bool output_blocked() const { return gate_.blocked(); }
  task_metrics metrics() const;
  const task_spec& spec() const { return spec_; }

 private:
  class link;  // emitter into chain position k
  friend class link;

  void deliver(std::size_t k, batch_ptr b);
  /// Writes the chain's state for checkpoint `id` and acknowledges (or declines) it.
  void take_snapshot(uint64_t id);
  checkpoints::operator_ack snapshot_operator(uint64_t id, uint32_t node, const std::function<void(operator_snapshot&)>& fill);
  /// Gives every operator of the chain its state from plan_.restore.
  void restore_chain();
  operator_restore restore_for(uint32_t node, std::vector<std::shared_ptr<const state::snapshot_reader>>& keep);
  /// Runs f on chained operator `op`; an exception becomes a task_failure naming the operator.
  template <class F>
  void call_op(std::size_t op, F&& f) {
    try {
      f(*ops_[op]);
    } catch (const task_failure&) {
      throw;
    } catch (const std::exception& e) {
      fail(op, e);
    }
  }
  void drain();
  void begin_finish();
  void try_complete();
  [[noreturn]] void fail(std::size_t op, const std::exception& e);

  const task_spec& spec_;
  const physical_plan& plan_;
  transport& transport_;
  std::vector<operator_ptr> ops_;
  std::vector<std::unique_ptr<link>> links_;  // links_[k] delivers to ops_[k] (k == size: gate)
  std::vector<uint64_t> op_records_in_;       // records delivered to each link
  source_ptr source_;
  input_gate inputs_;
  output_gate gate_;
  bool finishing_ = false;
  bool finished_ = false;
  bool draining_ = false;
  bool restored_final_ = false;  // restored from the job's final checkpoint: finish() already ran
  uint64_t batches_in_ = 0;
};

}  // namespace sluice::actors
