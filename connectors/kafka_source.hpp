// Kafka source (librdkafka): reads the partitions of one or more topics and emits kafka_record.
//
// Splits: one per topic partition. Partition p of the i-th topic belongs to subtask
// (p + i) % parallelism, so every subtask computes the same assignment without a coordinator. The
// reader uses assign(), never subscribe(): no consumer-group rebalance moves partitions, and the
// checkpoint — not the group — is the truth about positions. Each checkpoint records
// {topic: {partition: next_offset}} for the subtask's partitions; a restored reader seeks there.
// After a checkpoint completes, its offsets are also committed to the consumer group
// (asynchronously, for monitoring tools such as kafka-consumer-groups; never read back except
// by start=committed).
//
// Start position (first run only; a restored run resumes from its checkpoint): earliest, latest,
// the group's committed offsets (earliest where none), or a timestamp (the first record whose
// timestamp is ≥ it, per partition). Partitions that appear later (continuous mode re-reads the
// topic's metadata every discovery_ms, on a background thread) start at their earliest offset.
//
// Bounded mode stops each partition at the end offset (high watermark) it had when the job first
// started (recorded in the checkpoint, so a restarted backfill stops at the same place); the
// subtask finishes when all its partitions reached their end. Continuous mode (the default) runs
// until the job is stopped.
//
// Never blocks the actor while running: poll() consumes with timeout 0 and reports idle when
// nothing is there. Start-up (metadata, offset lookups) blocks for at most connection.timeout_ms.
// Records whose offsets were deleted by retention before they were read fail the job (no silent
// data loss). One instance per subtask; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "connectors/kafka_client.hpp"
#include "connectors/kafka_record.hpp"
#include "sluice/operator.hpp"

namespace sluice {

enum class kafka_start {
  earliest,   ///< the partition's first retained offset
  latest,     ///< its end: only records produced after the start
  committed,  ///< the consumer group's committed offset; earliest where the group has none
  timestamp,  ///< the first record with timestamp ≥ start_timestamp_ms
};

struct kafka_source_options {
  kafka_connection connection;
  /// Topics to read; required, each must exist (checked when the reader opens).
  std::vector<std::string> topics;
  /// Where a first run starts. Default earliest.
  kafka_start start = kafka_start::earliest;
  /// With start == timestamp: ms since the epoch. Default 0.
  int64_t start_timestamp_ms = 0;
  /// Stop at the end offsets seen when the job first started. Default off (continuous).
  bool bounded = false;
  /// Consumer group for start=committed and for committing checkpointed offsets. Default "":
  /// "sluice-UID" with the source's uid.
  std::string group_id;
  /// Commit the offsets of each completed checkpoint to the group (monitoring). Default on.
  bool commit_offsets = true;
  /// Continuous mode: look for new partitions this often, in ms; 0 never. Default 5000.
  uint32_t discovery_ms = 5000;
  /// Tests: replaces the metadata lookup of the partition count (at open, then on the
  /// discovery thread). Default: none (ask the cluster).
  std::function<int32_t(const std::string& topic)> list_partitions;
};

/// Sets `o.start` (and the timestamp) from "earliest", "latest", "committed" or a decimal number
/// of ms since the epoch; throws std::invalid_argument naming the text otherwise.
void parse_kafka_start(const std::string& text, kafka_source_options& o);

/// The subtask that reads partition `partition` of the `topic_index`-th topic.
inline uint32_t kafka_split_owner(std::size_t topic_index, int32_t partition, uint32_t parallelism) {
  return static_cast<uint32_t>((static_cast<uint64_t>(partition) + topic_index) % parallelism);
}

class kafka_source final : public source_reader {
 public:
  explicit kafka_source(kafka_source_options opts);
  ~kafka_source() override;
  /// Creates the consumer and checks that the topics exist; throws kafka_error (unreachable
  /// brokers, a missing topic) with one line.
  void open(const task_context& ctx) override;
  poll_status poll(emitter& out, uint32_t max_records) override;
  uint64_t bytes_read() const override { return bytes_read_; }
  /// {"offsets": {topic: {partition: next_offset}}, ...} for this subtask's partitions.
  void snapshot_state(operator_snapshot& snap) override;
  /// Resumes at the recorded offsets; the source's parallelism must be unchanged.
  void restore_state(const operator_restore& r) override;
  /// Commits the offsets recorded by checkpoint `id` to the consumer group.
  void checkpoint_complete(uint64_t id, bool final) override;

  /// Partitions this subtask reads now, as "topic/partition" (tests, metrics).
  std::vector<std::string> assigned() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  uint64_t bytes_read_ = 0;
};

/// A factory for env.from_source<kafka_record>(...): one kafka_source per subtask.
std::function<source_ptr(const task_context&)> kafka_source_factory(kafka_source_options opts);

}  // namespace sluice
