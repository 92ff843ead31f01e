// Kafka sink (librdkafka): writes each record of its input as one Kafka message, exactly once even
// for consumers that read uncommitted data.
//
// Exactly-once (the default, with checkpoints on). Kafka transactions cannot give it to every
// reader: consumers with isolation.level=read_uncommitted see aborted transactions, librdkafka
// cannot resume a dead producer's transaction, and the development broker (librdkafka's mock)
// writes no transaction markers at all. So the sink never publishes anything a checkpoint may
// still roll back:
//   1. Between barriers, encoded messages (partition chosen already) are appended to the sink
//      subtask's write-ahead log (checkpoints/wal.hpp, under CHECKPOINT_DIR/wal/). A message's
//      sequence number is its log position: unique and increasing per writer.
//   2. At the barrier of checkpoint n (pre-commit) the log is fsynced and the range of the epoch
//      is recorded in the sink's checkpointed state, with every epoch not yet fully published
//      and, per output partition, an offset below which none of them can lie.
//   3. When checkpoint n completes, the epochs ≤ n are published in order with the idempotent
//      producer (no duplicates from retries, per-partition order), each message carrying the
//      headers sluice.writer (the writer id), sluice.epoch (n) and sluice.seq (its sequence).
//   4. On recovery the sink reads the tail of the output partitions (from the recorded offsets to
//      the high watermarks, uncommitted data included), collects the sequence numbers its writer
//      already published, and publishes the rest of the restored checkpoint's pending epochs from
//      the log — so a crash before, during or after publishing neither loses nor duplicates.
// Publishing runs in slices (never blocking the actor on a full producer queue) from process(),
// a 10 ms timer and the completion notification; the job's final checkpoint flushes and waits.
// Output is visible one checkpoint interval later (the price of exactly-once); at-least-once
// mode publishes immediately and flushes at each barrier instead (duplicates after a restore).
//
// Fencing: a writer publishes only epochs it pre-committed itself, and only when its job
// coordinator reports the checkpoint complete. A writer cut off from its coordinator therefore
// publishes nothing new; in this runtime the coordinator shares the writer's process, so a
// failover (a restart of the job) has ended the old writer before the new one reads the tail.
// Two jobs must not share a writer id (the sink's uid, or writer_prefix).
//
// Partitioning: keyed messages go to murmur2(key) mod partitions (the Java client's default,
// kafka_partitioner.hpp); keyless ones round-robin. The partition count is read when the sink
// opens; partitions added later are used after a restart.
// Rescaling: a restored subtask also finishes the pending epochs of the earlier subtask whose
// first key group it now owns (exactly one new subtask adopts each old writer).
// One writer per sink subtask; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "connectors/kafka_client.hpp"
#include "sluice/operator.hpp"

namespace sluice {

enum class kafka_delivery {
  exactly_once,   ///< publish each checkpoint's output after it completes (needs checkpoints)
  at_least_once,  ///< publish immediately; flush at every barrier; duplicates after a restore
};

/// Parses "exactly-once" / "at-least-once"; throws std::invalid_argument naming the text.
kafka_delivery parse_kafka_delivery(const std::string& text);

struct kafka_sink_options {
  kafka_connection connection;
  /// Output topic; required.
  std::string topic;
  /// Default exactly-once. Without checkpoints both modes publish immediately.
  kafka_delivery delivery = kafka_delivery::exactly_once;
  /// Ask the brokers to create a missing topic (their default partition count). Default off:
  /// a missing topic is an error when the sink opens.
  bool auto_create_topic = false;
  /// Writer id prefix in the sluice.writer header; default "": the sink's uid. Each subtask's
  /// writer id is PREFIX/SUBTASK-of-PARALLELISM.
  std::string writer_prefix;
  /// Longest wait for a flush (final checkpoint, at-least-once barrier) or a recovery, in ms.
  /// Default 60000.
  uint32_t flush_timeout_ms = 60000;
};

/// One output message, filled by the sink's encode function. An empty key is sent as no key
/// when has_key is false.
struct kafka_message {
  std::string key;
  std::string value;
  bool has_key = true;
};

/// The untyped part of the sink: partitioning, the write-ahead log, publishing, recovery.
class kafka_writer {
 public:
  explicit kafka_writer(kafka_sink_options opts);
  ~kafka_writer();
  kafka_writer(const kafka_writer&) = delete;
  kafka_writer& operator=(const kafka_writer&) = delete;

  /// Connects, checks the topic, opens the log; throws kafka_error.
  void open(const task_context& ctx);
  /// Adds one message (to the log, or straight to the producer).
  void add(const kafka_message& m);
  /// Ends a batch of add() calls (appends them to the log as one write).
  void end_batch();
  /// Publishes what may be published without blocking and handles delivery reports; throws
  /// kafka_error when a delivery failed for good.
  void service();
  /// Pre-commits checkpoint `id`; returns the state to checkpoint.
  std::string precommit(uint64_t id);
  /// JSON for the manifest: writer id, pending epochs, messages published.
  std::string describe() const;
  /// Checkpoint `id` completed: publish the epochs up to it (all and wait, when `final`).
  void commit_upto(uint64_t id, bool final);
  /// Recovers the writers of a restored checkpoint (see the header comment).
  void restore(const operator_restore& r);
  /// End of input without checkpoints: flush everything.
  void finish();
  /// How often service() should run.
  std::chrono::milliseconds service_period() const { return std::chrono::milliseconds{10}; }

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The sink operator: encode(const T&, kafka_message&) fills each message (cleared before).
template <class T, class Encode>
class kafka_sink final : public operator_logic {
 public:
  kafka_sink(kafka_sink_options opts, Encode encode) : writer_(std::move(opts)), encode_(std::move(encode)) {}

  void open(const task_context& ctx) override { writer_.open(ctx); }
  void process(batch_base& in, emitter&) override {
    for (const auto& x : as_batch<T>(in).items) {
      msg_.key.clear();
      msg_.value.clear();
      msg_.has_key = true;
      encode_(x, msg_);
      writer_.add(msg_);
    }
    writer_.end_batch();
    writer_.service();
  }
  std::chrono::milliseconds timer_period() const override { return writer_.service_period(); }
  void on_timer(emitter&) override { writer_.service(); }
  void on_epoch_end(uint64_t, emitter&) override {}
  void finish(emitter&) override { writer_.finish(); }
  void snapshot_state(operator_snapshot& s) override {
    s.set_operator_state(writer_.precommit(s.checkpoint_id));
    s.description = writer_.describe();
  }
  void checkpoint_complete(uint64_t id, bool final) override { writer_.commit_upto(id, final); }
  void restore_state(const operator_restore& r) override { writer_.restore(r); }

 private:
  kafka_writer writer_;
  Encode encode_;
  kafka_message msg_;
};

/// A factory for stream.to(...): one kafka_sink per subtask.
template <class T, class Encode>
std::function<operator_ptr(const task_context&)> kafka_sink_factory(kafka_sink_options opts, Encode encode) {
  return [opts, encode](const task_context&) -> operator_ptr {
    return std::make_unique<kafka_sink<T, Encode>>(opts, encode);
  };
}

}  // namespace sluice
