// Kafka in job binaries: connector options from the common --kafka-* flags (sluice/options.hpp),
// the embedded development broker when no --kafka-brokers is given, and read/write helpers for
// the fluent API that check the cluster and topics while the job is built, so that unreachable
// brokers or a missing topic end the program with one line (job_error) instead of inside the job.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "connectors/kafka_dev_cluster.hpp"
#include "connectors/kafka_sink.hpp"
#include "connectors/kafka_source.hpp"
#include "sluice/stream.hpp"

namespace sluice {

/// --kafka-brokers, --kafka-timeout-ms and --kafka-property.
kafka_connection kafka_connection_of(const job_options& o);
/// --kafka-input, --kafka-start, --kafka-bounded, --kafka-group. Throws job_error for a bad
/// --kafka-start.
kafka_source_options kafka_source_options_of(const job_options& o);
/// --kafka-output, --kafka-delivery, --kafka-create-topics.
kafka_sink_options kafka_sink_options_of(const job_options& o);

/// When o.kafka_brokers is empty: starts a development cluster in this process with `topics`,
/// sets o.kafka_brokers to it and says so in one stderr line; returns it (keep it alive while
/// the job runs). Otherwise returns nullptr and changes nothing.
std::unique_ptr<kafka_dev_cluster> start_dev_cluster_if_needed(job_options& o,
                                                               const std::vector<kafka_dev_topic>& topics,
                                                               const std::string& program);

/// Throws job_error ("--kafka-...: cannot reach ...", "topic 'x' does not exist") unless `topic`
/// is reachable (created first when `auto_create`).
void check_kafka_topic(const kafka_connection& c, const std::string& topic, bool auto_create = false);

/// Records of the source's topics (checked now).
stream<kafka_record> read_kafka(environment& env, const kafka_source_options& o,
                                const std::string& uid = "kafka_source");

/// Writes every record as a message, encode(const T&, kafka_message&); the topic is checked now.
template <class T, class Encode>
stream<T> write_kafka(const stream<T>& s, const kafka_sink_options& o, Encode encode,
                      const std::string& uid = "kafka_sink") {
  check_kafka_topic(o.connection, o.topic, o.auto_create_topic);
  auto sink = s.to(kafka_sink_factory<T>(o, std::move(encode)), "kafka_sink");
  sink.uid(uid);
  return sink;
}

}  // namespace sluice
