#include "connectors/kafka_job.hpp"

#include <cstdio>

namespace sluice {

kafka_connection kafka_connection_of(const job_options& o) {
  kafka_connection c;
  c.brokers = o.kafka_brokers;
  c.timeout_ms = o.kafka_timeout_ms;
  for (const auto& p : o.kafka_properties) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0)
      throw job_error("--kafka-property expects NAME=VALUE, got '" + p + "'");
    c.properties[p.substr(0, eq)] = p.substr(eq + 1);
  }
  return c;
}

kafka_source_options kafka_source_options_of(const job_options& o) {
  kafka_source_options s;
  s.connection = kafka_connection_of(o);
  if (!o.kafka_input.empty())
    s.topics.push_back(o.kafka_input);
  try {
    parse_kafka_start(o.kafka_start, s);
  } catch (const std::exception& e) {
    throw job_error(std::string{"--kafka-start: "} + e.what());
  }
  s.bounded = o.kafka_bounded;
  s.group_id = o.kafka_group;
  return s;
}

kafka_sink_options kafka_sink_options_of(const job_options& o) {
  kafka_sink_options s;
  s.connection = kafka_connection_of(o);
  s.topic = o.kafka_output;
  try {
    s.delivery = parse_kafka_delivery(o.kafka_delivery);
  } catch (const std::exception& e) {
    throw job_error(std::string{"--kafka-delivery: "} + e.what());
  }
  s.auto_create_topic = o.kafka_create_topics;
  return s;
}

std::unique_ptr<kafka_dev_cluster> start_dev_cluster_if_needed(job_options& o,
                                                               const std::vector<kafka_dev_topic>& topics,
                                                               const std::string& program) {
  if (!o.kafka_brokers.empty())
    return nullptr;
  if (o.role == "worker")  // a coordinator always passes its brokers on (below)
    throw job_error("a worker needs the coordinator's --kafka-brokers");
  auto cluster = std::make_unique<kafka_dev_cluster>(1);
  for (const auto& t : topics)
    cluster->create_topic(t);
  o.kafka_brokers = cluster->bootstrap_servers();
  // Workers on this machine use the coordinator's embedded broker (it listens on loopback).
  if (o.role == "coordinator")
    o.job_args.push_back("--kafka-brokers=" + o.kafka_brokers);
  std::fprintf(stderr,
               "%s: no --kafka-brokers given: using an embedded development broker at %s "
               "(in memory, gone when the job ends)\n",
               program.c_str(), o.kafka_brokers.c_str());
  return cluster;
}

void check_kafka_topic(const kafka_connection& c, const std::string& topic, bool auto_create) {
  if (topic.empty())
    throw job_error("no Kafka topic given");
  try {
    kafka_partition_count(c, topic, auto_create);
  } catch (const kafka_error& e) {
    throw job_error(e.what());
  }
}

stream<kafka_record> read_kafka(environment& env, const kafka_source_options& o, const std::string& uid) {
  if (o.topics.empty())
    throw job_error("no Kafka topic to read (--kafka-input)");
  for (const auto& t : o.topics)
    check_kafka_topic(o.connection, t);
  auto s = env.from_source<kafka_record>(kafka_source_factory(o), "kafka_source");
  s.uid(uid);
  return s;
}

}  // namespace sluice
