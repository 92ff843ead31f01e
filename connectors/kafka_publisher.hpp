// The Kafka sink's producer: an idempotent librdkafka producer for one topic that sends messages
// with the sink's headers and reports each delivery (partition, offset, the message's sequence
// number) to its owner. Used by the sink's writer and by its recovery. Not thread-safe: delivery
// reports run inside poll()/flush() on the caller's thread. Includes librdkafka: .cpp files only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <librdkafka/rdkafka.h>

#include "connectors/kafka_detail.hpp"
#include "connectors/kafka_sink_log.hpp"

namespace sluice::kafka_detail {

/// The headers of one message; epoch 0 leaves out sluice.epoch (at-least-once), no writer
/// leaves out all three.
struct message_headers {
  const std::string* writer = nullptr;
  uint64_t epoch = 0;
  uint64_t seq = 0;
};

class publisher final : public RdKafka::DeliveryReportCb {
 public:
  /// Called for every successful delivery.
  using delivered_fn = std::function<void(uint64_t seq, int32_t partition, int64_t offset)>;

  /// Creates the producer (enable.idempotence=true) and checks the topic (creating it when
  /// `auto_create`) before using it — a topic handle makes librdkafka ask for the topic, which
  /// brokers with auto-creation would answer by creating it. Throws kafka_error.
  publisher(const kafka_connection& c, const std::string& topic, log_sink& logs, bool auto_create = false);
  ~publisher() override;

  /// Queues one message; false when the producer's queue is full (poll and try again).
  /// Throws kafka_error for any other refusal.
  bool send(const kafka_sink_log::record_view& r, const message_headers& h);
  /// Serves delivery reports without waiting (or up to `wait_ms`).
  void poll(int wait_ms = 0);
  /// Waits until every queued message is delivered or failed; false on timeout.
  bool flush(uint32_t timeout_ms);
  /// Messages queued and not yet reported.
  int outstanding() const;
  /// The first permanent delivery failure, "" while there is none.
  const std::string& failure() const { return failure_; }
  /// Drops messages not yet sent (a failing job must not keep publishing).
  void purge();

  void set_on_delivered(delivered_fn f) { on_delivered_ = std::move(f); }
  RdKafka::Producer& producer() { return *producer_; }
  /// Partitions of the topic when the publisher was created.
  int32_t partitions() const { return partitions_; }
  void dr_cb(RdKafka::Message& m) override;

 private:
  std::string topic_;
  std::unique_ptr<RdKafka::Producer> producer_;
  rd_kafka_topic_t* rkt_ = nullptr;
  int32_t partitions_ = 0;
  delivered_fn on_delivered_;
  std::string failure_;
};

}  // namespace sluice::kafka_detail
