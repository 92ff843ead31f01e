// What every Kafka connector needs to reach a cluster: the bootstrap servers, extra librdkafka
// properties and a bound on how long a metadata lookup may take, plus the topic lookup used to
// fail early (while a job is built) with one clear line instead of hanging inside the job.
// Free of librdkafka headers; thread-safe (each call makes its own short-lived client).
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

namespace sluice {

/// A Kafka cluster and how to talk to it. Plain data; every field states its default.
struct kafka_connection {
  /// bootstrap.servers, "HOST:PORT,HOST:PORT"; required.
  std::string brokers;
  /// Extra librdkafka properties (security.protocol, sasl.*, ...), applied to every client the
  /// connectors create. Default: none.
  std::map<std::string, std::string> properties;
  /// Longest wait for cluster metadata (start-up checks, partition lookups), in ms. Default 10000.
  uint32_t timeout_ms = 10000;
};

/// A Kafka call failed: unreachable brokers, a missing topic, a rejected property, a failed
/// delivery. The message is one line naming the brokers or the topic.
struct kafka_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Number of partitions of `topic`. A missing topic is a kafka_error unless `auto_create`, which
/// asks the cluster to create it (brokers with auto.create.topics.enable, the default, and the
/// development broker do; the partition count is then the broker's default). Throws kafka_error
/// when no broker answers within `c.timeout_ms`.
int32_t kafka_partition_count(const kafka_connection& c, const std::string& topic,
                              bool auto_create = false);

/// Header names the Kafka sink puts on every record it publishes (see kafka_sink.hpp).
inline constexpr const char* kafka_header_writer = "sluice.writer";
inline constexpr const char* kafka_header_epoch = "sluice.epoch";
inline constexpr const char* kafka_header_seq = "sluice.seq";

}  // namespace sluice
