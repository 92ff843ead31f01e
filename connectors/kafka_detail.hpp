// librdkafka plumbing shared by the Kafka connectors' .cpp files: configuration, a log sink that
// keeps librdkafka's chatter off stderr (while remembering the last error for messages), and
// metadata lookups with clear errors. Includes rdkafkacpp.h, so only .cpp files include it.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include <librdkafka/rdkafkacpp.h>

#include "connectors/kafka_client.hpp"

namespace sluice::kafka_detail {

/// Receives librdkafka's log lines and error events (on librdkafka's threads, hence the mutex).
/// They go nowhere unless SLUICE_KAFKA_DEBUG is set (then to stderr); the last error is kept to
/// explain a failure ("Connect to ipv4#127.0.0.1:9092 failed: Connection refused").
class log_sink final : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& e) override;
  std::string last_error() const;

 private:
  mutable std::mutex mutex_;
  std::string last_error_;
};

/// A global configuration with bootstrap.servers, the connection's properties and `logs` as the
/// event callback (it must outlive the client). Throws kafka_error naming a rejected property.
std::unique_ptr<RdKafka::Conf> make_conf(const kafka_connection& c, log_sink* logs);
/// Sets one property; throws kafka_error naming it.
void set(RdKafka::Conf& conf, const std::string& name, const std::string& value);

/// Partition count of `topic` through `h` (see kafka_partition_count). Lists all topics, which
/// never creates one, so a missing topic is detected without side effects.
int32_t partition_count(RdKafka::Handle& h, const kafka_connection& c, const std::string& topic,
                        bool auto_create, const log_sink& logs);

/// "cannot reach Kafka brokers at B within T ms (last error: E)".
std::string unreachable(const kafka_connection& c, const log_sink& logs);

}  // namespace sluice::kafka_detail
