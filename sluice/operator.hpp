// The interfaces a job's logic implements: operators (batch in, batches out), sources (poll for
// records) and the emitter they write to. The runtime owns these objects; one instance per
// subtask, used by one actor at a time, so implementations need no locking.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sluice/batch.hpp"
#include "sluice/checkpointing.hpp"
#include "sluice/keys.hpp"

namespace sluice {

/// Facts about the subtask an operator instance runs in. Plain data, copied into each instance.
struct task_context {
  std::string uid;               ///< stable operator name (of the chain's head for sources)
  uint32_t subtask = 0;          ///< index of this subtask, 0 .. parallelism-1
  uint32_t parallelism = 1;      ///< number of subtasks of this operator
  uint32_t max_parallelism = 128;///< number of key groups
  uint32_t batch_size = 1024;    ///< records per batch the runtime aims for
  backend_kind state_backend = backend_kind::memory;  ///< where keyed state lives
  std::string state_dir;         ///< working directory of this operator subtask's state (RocksDB)
  std::string dead_letter_dir;   ///< where malformed records go; "" means beside the job's output
  bool checkpointing = false;    ///< checkpoints are on: sinks commit only completed checkpoints
  std::string checkpoint_dir;    ///< the job's checkpoint directory (write-ahead logs live there)
  uint32_t checkpoints_retained = 3;  ///< completed checkpoints kept (what logs must still cover)
  bool restoring = false;        ///< the job restores from a checkpoint (restore_state follows open)

  /// First and last key group owned by this subtask.
  uint32_t key_group_first() const {
    return static_cast<uint32_t>((uint64_t{subtask} * max_parallelism + parallelism - 1) / parallelism);
  }
  uint32_t key_group_last() const {
    return static_cast<uint32_t>((uint64_t{subtask + 1} * max_parallelism + parallelism - 1) / parallelism) - 1;
  }
};

/// Where an operator writes its output. Batches are of the operator's output type.
class emitter {
 public:
  virtual ~emitter() = default;
  /// Hands a batch downstream. Empty batches are allowed and ignored.
  virtual void emit(batch_ptr b) = 0;
  /// Marks the end of trigger epoch `epoch` (a Structured-Streaming trigger): everything emitted
  /// before belongs to it. Sinks in complete mode replace their previous result at this mark.
  virtual void end_epoch(uint64_t epoch) = 0;
};

/// Collects records of type T into batches of at most `limit` records and emits full ones.
template <class T>
class batch_writer {
 public:
  batch_writer(emitter& out, uint32_t limit) : out_(out), limit_(limit ? limit : 1) {}
  ~batch_writer() { flush(); }
  batch_writer(const batch_writer&) = delete;
  batch_writer& operator=(const batch_writer&) = delete;

  void push(T x) {
    if (!cur_) {
      cur_ = std::make_shared<batch<T>>();
      cur_->items.reserve(limit_);
    }
    cur_->items.push_back(std::move(x));
    if (cur_->items.size() >= limit_)
      flush();
  }
  void flush() {
    if (cur_ && !cur_->items.empty())
      out_.emit(std::move(cur_));
    cur_.reset();
  }

 private:
  emitter& out_;
  uint32_t limit_;
  std::shared_ptr<batch<T>> cur_;
};

/// One operator of a chain: consumes batches of its input type, emits batches of its output
/// type. Lifecycle: open → process* (interleaved with on_timer) → finish. An exception thrown by
/// user code fails the subtask and so the job, with the exception's message as the reason.
class operator_logic {
 public:
  virtual ~operator_logic() = default;
  virtual void open(const task_context&) {}
  virtual void process(batch_base& in, emitter& out) = 0;
  /// Two-input operators: a batch of the second input.
  virtual void process2(batch_base&, emitter&) {
    throw std::logic_error("this operator has no second input");
  }
  /// Period of on_timer calls; zero means none.
  virtual std::chrono::milliseconds timer_period() const { return std::chrono::milliseconds{0}; }
  virtual void on_timer(emitter&) {}
  /// An upstream epoch mark reached this operator; the default passes it on.
  virtual void on_epoch_end(uint64_t epoch, emitter& out) { out.end_epoch(epoch); }
  /// All input has been consumed (bounded job or stop): emit what remains and flush.
  virtual void finish(emitter&) {}

  /// A checkpoint barrier reached the operator (after everything before it was processed):
  /// write the state into `snap`. Sinks pre-commit here (two-phase commit).
  virtual void snapshot_state(operator_snapshot&) {}
  /// Before any input: take back the state of a checkpoint.
  virtual void restore_state(const operator_restore&) {}
  /// Checkpoint `id` is durable (its manifest is written): sinks commit what they pre-committed
  /// up to it. Must be idempotent. `final`: the job's last checkpoint; commit everything.
  virtual void checkpoint_complete(uint64_t id, bool final) {}
  /// Records this operator sent to the dead-letter files so far.
  virtual uint64_t dead_letters() const { return 0; }
  /// Current values the operator reports in the job's metrics (e.g. a model's version and error).
  virtual void gauges(std::vector<std::pair<std::string, double>>&) const {}
};

/// Result of one poll of a source.
enum class poll_status {
  more,      ///< emitted records; poll again soon
  idle,      ///< nothing available now (socket quiet, follow mode); poll again after a pause
  finished,  ///< the split is exhausted for good
};

/// Reads one split and emits records. Lifecycle: open → poll* → close. open throws
/// std::runtime_error with a one-line message when the split cannot be opened.
class source_reader {
 public:
  virtual ~source_reader() = default;
  virtual void open(const task_context&) {}
  /// Emits up to about `max_records` records.
  virtual poll_status poll(emitter& out, uint32_t max_records) = 0;
  /// Bytes consumed so far, for progress and throughput metrics.
  virtual uint64_t bytes_read() const { return 0; }
  /// Total input bytes when known (0: unknown or unbounded), for progress.
  virtual uint64_t bytes_total() const { return 0; }
  /// Asked to stop early (job cancelled): the next poll should return finished.
  virtual void request_stop() { stop_requested_ = true; }

  /// At a checkpoint: record the read position (operator state) so that a restored reader
  /// resumes exactly after the last record emitted before the barrier.
  virtual void snapshot_state(operator_snapshot&) {}
  /// Before open(): resume from a recorded position.
  virtual void restore_state(const operator_restore&) {}
  /// Checkpoint `id` is durable: e.g. drop write-ahead log segments no checkpoint needs.
  virtual void checkpoint_complete(uint64_t id, bool final) {}

 protected:
  bool stop_requested_ = false;
};

using operator_ptr = std::unique_ptr<operator_logic>;
using source_ptr = std::unique_ptr<source_reader>;

}  // namespace sluice
