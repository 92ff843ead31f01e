// Recovery of the exactly-once Kafka sink: given a writer's restored state, learn from the tail
// of the output partitions which of its pending messages are already there, and publish the
// others from its write-ahead log. Blocks (it runs while the job restores, before any record
// flows), bounded by the sink's flush timeout. Includes librdkafka: .cpp files only.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>

#include "connectors/kafka_publisher.hpp"
#include "connectors/kafka_sink.hpp"

namespace sluice::kafka_detail {

struct recovery_stats {
  uint64_t pending = 0;      ///< messages in the writer's pending epochs
  uint64_t found = 0;        ///< of those, already in the topic
  uint64_t republished = 0;  ///< published now
};

/// Sequence numbers that `s.writer` published into `topic` within its pending epochs, read from
/// each partition's s.scan_from offset up to its high watermark (uncommitted data included).
/// Throws kafka_error when the tail cannot be read within `o.flush_timeout_ms`.
std::unordered_set<uint64_t> published_sequences(const kafka_sink_log::writer_state& s,
                                                 const kafka_sink_options& o);

/// Publishes the pending messages of `s` that the topic does not hold, with their original
/// headers, through `pub`, and waits for their delivery. `checkpoint_dir` holds s.wal_dir.
recovery_stats recover_writer(const kafka_sink_log::writer_state& s, const std::string& checkpoint_dir,
                              const kafka_sink_options& o, publisher& pub);

}  // namespace sluice::kafka_detail
