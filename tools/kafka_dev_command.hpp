// `sluice kafka-dev`: a development Kafka cluster (librdkafka's mock, connectors/kafka_dev_cluster.hpp)
// for other processes — demos, tests with independent clients such as kcat or kafka-python.
// Prints `bootstrap.servers=HOST:PORT,...` as its first stdout line and serves until SIGTERM or
// SIGINT.
#pragma once

#include <string>
#include <vector>

#include "tools/command.hpp"

namespace sluice::tools {

/// Adds `kafka-dev` to `app` (see command.hpp).
void add_kafka_dev_command(CLI::App& app, action& chosen);

/// What `sluice kafka-dev` was asked for.
struct kafka_dev_request {
  int brokers = 1;                  ///< --brokers N
  std::vector<std::string> topics;  ///< --topic NAME:PARTITIONS, repeatable
};

/// Starts the cluster and serves until SIGTERM/SIGINT; returns the exit code (1 with one error
/// line when it cannot start or a topic is malformed).
int serve_kafka_dev(const kafka_dev_request& request);

}  // namespace sluice::tools
