// The Kafka source's internals, shared by kafka_source.cpp (reading, checkpoints) and
// kafka_source_start.cpp (consumer, start positions, assignment, partition discovery). Includes
// librdkafka: .cpp files only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <librdkafka/rdkafka.h>
#include <nlohmann/json.hpp>

#include "connectors/kafka_detail.hpp"
#include "connectors/kafka_source.hpp"

namespace sluice {

inline constexpr int64_t kafka_offset_beginning = RD_KAFKA_OFFSET_BEGINNING;  // -2: "from the start"

/// One split: a partition this subtask reads.
struct kafka_split {
  std::string topic;
  std::size_t topic_index = 0;
  int32_t partition = 0;
  int64_t next = kafka_offset_beginning;  ///< offset of the next record to emit (or beginning)
  int64_t end = -1;                       ///< bounded: stop before this offset; -1 unbounded
  bool seeking = false;                   ///< timestamp start: skip records older than it
  bool done = false;                      ///< bounded and reached `end`

  std::string name() const { return topic + "/" + std::to_string(partition); }
};

/// A subtask's reader: its consumer, its splits and their positions, the discovery thread.
/// Lives as long as the kafka_source; used by the source's actor thread, except `discovered`,
/// which the discovery thread writes.
struct kafka_source::impl {
  kafka_source_options opts;
  task_context ctx;
  kafka_detail::log_sink logs;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
  rd_kafka_queue_t* queue = nullptr;
  std::vector<kafka_split> splits;
  std::vector<std::vector<int>> slot;  // [topic index][partition] -> index into splits, or -1
  std::vector<int32_t> known;          // partitions per topic, as far as this reader knows
  bool started = false;
  std::unique_ptr<nlohmann::json> restored;
  std::deque<std::pair<uint64_t, std::vector<std::pair<std::size_t, int64_t>>>> recorded;
  std::vector<rd_kafka_message_t*> msgs;

  // Partition discovery (continuous mode) on a background thread.
  std::thread discoverer;
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::unique_ptr<std::atomic<int32_t>[]> discovered;

  ~impl();

  // Start-up (kafka_source_start.cpp).
  void create_consumer();
  /// Adds the splits of partitions [from, to) of topic `t` that this subtask owns.
  std::vector<std::size_t> add_partitions(std::size_t t, int32_t from, int32_t to);
  /// After restore_state (which comes after open), so that the start knows about the checkpoint.
  void ensure_started();
  void resolve_start();
  void resolve_restored();
  void assign(const std::vector<std::size_t>& which, bool incremental);
  void watermarks(const kafka_split& s, int64_t& lo, int64_t& hi);
  void start_discovery();
  void take_discovered();

  // Reading (kafka_source.cpp).
  kafka_split* find(const char* topic, int32_t partition);
  bool all_done() const;
  void mark_done(kafka_split& s);
  /// Handles one consumed message; appends a record to `out` when it is one to emit.
  void handle(rd_kafka_message_t* m, std::vector<kafka_record>& out, uint64_t& bytes);
  void handle_error(rd_kafka_message_t* m);
};

}  // namespace sluice
