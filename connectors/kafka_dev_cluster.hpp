// The development broker: librdkafka's mock Kafka cluster, run inside this process (its brokers
// are threads of a librdkafka handle listening on ephemeral loopback ports), so Kafka demos and
// tests need no server started by hand. Any Kafka client can connect to bootstrap_servers().
// `sluice kafka-dev` serves one to other processes; the examples start one in-process when no
// --kafka-brokers is given (no child process that could outlive them).
//
// Limits (librdkafka 2.0.2): everything is in memory and gone when it stops; each partition keeps
// at most ~5 MiB or 100 000 message sets (older data is dropped silently, the log start moves);
// transactions are accepted but write no markers (read_committed readers see aborted data);
// offsets for timestamps are not answered; a first consumer-group join takes ~3 s; topics are
// created by create_topic() or automatically (4 partitions) when a client asks for a missing one.
// Thread-safe for the calls below; destroying it stops the brokers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "connectors/kafka_client.hpp"
#include "connectors/kafka_record.hpp"

namespace sluice {

struct kafka_dev_topic {
  std::string name;
  int32_t partitions = 1;
};

/// Parses "NAME:PARTITIONS" (or "NAME", one partition); throws std::invalid_argument.
kafka_dev_topic parse_dev_topic(const std::string& text);

class kafka_dev_cluster {
 public:
  /// Starts `brokers` brokers (≥ 1); throws kafka_error.
  explicit kafka_dev_cluster(int brokers = 1);
  ~kafka_dev_cluster();
  kafka_dev_cluster(const kafka_dev_cluster&) = delete;
  kafka_dev_cluster& operator=(const kafka_dev_cluster&) = delete;

  /// "127.0.0.1:PORT,..." for bootstrap.servers.
  const std::string& bootstrap_servers() const { return bootstrap_; }
  /// Creates a topic (replication: min(3, brokers)); an existing topic is left as it is.
  /// Throws kafka_error for anything else.
  void create_topic(const kafka_dev_topic& t);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string bootstrap_;
};

/// Produces `messages` (key, value) to `topic` of any cluster and waits until all are delivered
/// (demo input, test fixtures). Keyed messages go where the Kafka sink would put them (murmur2);
/// an empty key means no key. Throws kafka_error.
void kafka_produce_all(const kafka_connection& c, const std::string& topic,
                       const std::vector<std::pair<std::string, std::string>>& messages);

/// Every message of `topic` of any cluster, from the earliest offset to the high watermark each
/// partition has now (uncommitted data included), partition by partition in offset order.
/// Throws kafka_error.
std::vector<kafka_record> kafka_read_all(const kafka_connection& c, const std::string& topic);

}  // namespace sluice
