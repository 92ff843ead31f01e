// What the exactly-once Kafka sink keeps durable: the encoding of a message in its write-ahead
// log, and a writer's checkpointed state (which log epochs are not yet known to be published,
// and where in each output partition their messages can start). Plain functions and data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::kafka_sink_log {

/// A message as logged: its partition is fixed before logging, so replay is deterministic.
struct record_view {
  int32_t partition = 0;
  bool has_key = false;
  std::string_view key;
  std::string_view value;
};

/// [i32 partition][u8 has_key][u32 key length][key][value], little-endian.
std::string encode(int32_t partition, bool has_key, std::string_view key, std::string_view value);
/// Parses a logged message (views into `bytes`); false when malformed.
bool decode(const std::string& bytes, record_view& out);

/// The messages of one checkpoint epoch: log positions (= sequence numbers) [lo, hi).
struct epoch_range {
  uint64_t id = 0;
  uint64_t lo = 0;
  uint64_t hi = 0;
};

/// One writer's checkpointed state.
struct writer_state {
  std::string writer;                ///< writer id (sluice.writer header)
  std::string wal_dir;               ///< its log, relative to the checkpoint directory
  int32_t partitions = 0;            ///< output partitions when the epochs were logged
  std::vector<epoch_range> pending;  ///< epochs not known to be fully published, oldest first
  /// Per partition: no message of a pending epoch lies below this offset (where a recovery
  /// starts reading the tail).
  std::vector<int64_t> scan_from;
  uint64_t next_seq = 0;             ///< at-least-once: the next sequence number

  std::string to_json() const;
  /// Throws std::runtime_error when malformed.
  static writer_state parse(const std::string& json);
};

}  // namespace sluice::kafka_sink_log
