// The Kafka sink's writer internals, shared by kafka_sink.cpp (the operator-facing calls) and
// kafka_sink_publish.cpp (the write-ahead log, publishing epochs, delivery bookkeeping). Includes
// librdkafka: .cpp files only.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "checkpoints/wal.hpp"
#include "connectors/kafka_publisher.hpp"
#include "connectors/kafka_sink.hpp"
#include "connectors/kafka_sink_log.hpp"

namespace sluice {

/// One checkpoint epoch of the log on its way to Kafka.
struct kafka_epoch {
  uint64_t id = 0;
  uint64_t lo = 0, hi = 0;   // log positions (sequence numbers) [lo, hi)
  uint64_t cursor = 0;       // next position to hand to the producer
  uint64_t outstanding = 0;  // handed over, delivery not yet reported
  bool committable = false;  // its checkpoint completed
  std::vector<int64_t> start;  // per partition: offsets its messages cannot lie below
  bool published() const { return committable && cursor == hi && outstanding == 0; }
};

/// A sink subtask's writer: its producer, and with exactly-once its log and pending epochs.
/// Used by the sink's actor thread only (delivery reports arrive inside its poll calls).
struct kafka_writer::impl {
  kafka_sink_options opts;
  task_context ctx;
  bool exactly_once = false;
  kafka_detail::log_sink logs;
  std::unique_ptr<kafka_detail::publisher> pub;
  int32_t partitions = 0;
  std::string writer;
  uint64_t round_robin = 0;
  uint64_t published = 0;
  uint64_t next_seq = 0;  // without the log: sequence numbers of the headers

  // Exactly-once: the log, the epochs not yet published, what delivery reports taught.
  std::string wal_rel;
  std::unique_ptr<checkpoints::wal_writer> wal;
  std::unique_ptr<checkpoints::wal_reader> reader;
  std::vector<std::string> batch;
  uint64_t epoch_lo = 0;
  std::deque<kafka_epoch> pending;
  std::vector<int64_t> delivered_end;  // per partition: after the last delivered offset
  std::vector<std::string> chunk;      // log records read ahead, chunk[0] at chunk_pos
  uint64_t chunk_pos = 0;
  // The newest logged messages kept in memory, so publishing rarely reads the log back: the
  // positions [cached_lo, wal end). Bounded by cache_limit bytes; beyond it the cache restarts
  // at the log's end and older positions are read from the log.
  std::deque<std::string> cached;
  uint64_t cached_lo = 0;
  std::size_t cached_bytes = 0;
  static constexpr std::size_t cache_limit = 64u << 20;
  std::deque<std::pair<uint64_t, uint64_t>> recorded;  // checkpoint id -> first position it needs
  std::deque<uint64_t> completed;
  std::vector<std::string> adopted_wals;  // logs of earlier writers this one finished

  /// Purges what was not sent: a writer torn down before its job's end stops publishing.
  ~impl();
  void on_delivered(uint64_t seq, int32_t partition, int64_t offset);
  /// Without the log: hands one message to the producer (waiting while its queue is full).
  void send_now(const kafka_sink_log::record_view& r);
  void check_failure() const;
  /// Drops the fully published epochs at the front.
  void retire();
  /// The logged message at `pos` (< hi), from memory when cached, else from the log.
  const std::string& logged(uint64_t pos, uint64_t hi);
  /// Keeps the batch just logged (positions up to the log's end) in memory, within the limit.
  void cache(std::vector<std::string>& logged_batch);
  /// Hands committable messages to the producer until its queue is full.
  void publish_some();
  /// The state of this writer for checkpoint `id` (after its epoch was closed).
  std::string state() const;
  /// Publishes everything committable and waits for its delivery.
  void drain();
  void flush();
  /// Truncates the log before what the oldest retained checkpoint may still replay.
  void forget_old(uint64_t id);
  /// Opens this subtask's log and learns where each output partition ends.
  void open_log();
  /// The writer states a restored subtask must finish: its own, or (after a change of
  /// parallelism) those of the earlier subtasks whose first key group it owns.
  std::vector<kafka_sink_log::writer_state> restored_writers(const operator_restore& r) const;
};

}  // namespace sluice
