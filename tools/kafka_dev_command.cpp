#include "tools/kafka_dev_command.hpp"

#include <signal.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "connectors/kafka_dev_cluster.hpp"
#include "sluice/cli.hpp"

namespace sluice::tools {

int serve_kafka_dev(const kafka_dev_request& request) {
  std::vector<kafka_dev_topic> topics;
  try {
    for (const auto& t : request.topics)
      topics.push_back(parse_dev_topic(t));
  } catch (const std::exception& e) {
    return report_error(program_name, std::string{"--topic: "} + e.what());
  }
  // Block the stop signals before librdkafka starts its threads (they inherit the mask), so
  // that sigwait below is the only place that receives them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  std::unique_ptr<kafka_dev_cluster> cluster;
  try {
    cluster = std::make_unique<kafka_dev_cluster>(request.brokers);
    for (const auto& t : topics)
      cluster->create_topic(t);
  } catch (const std::exception& e) {
    return report_error(program_name, e.what());
  }
  std::printf("bootstrap.servers=%s\n", cluster->bootstrap_servers().c_str());
  std::fflush(stdout);
  std::fprintf(stderr,
               "%s kafka-dev: %d broker(s) serving in memory (each partition keeps ~5 MiB or 100000 "
               "message sets; no transaction markers); SIGTERM or Ctrl-C stops\n",
               program_name, request.brokers);
  int sig = 0;
  sigwait(&stop, &sig);
  cluster.reset();
  return 0;
}

void add_kafka_dev_command(CLI::App& app, action& chosen) {
  auto request = std::make_shared<kafka_dev_request>();
  auto* cmd = app.add_subcommand(
      "kafka-dev",
      "Serve a development Kafka cluster (librdkafka's mock, in memory) until SIGTERM/SIGINT; "
      "prints bootstrap.servers=HOST:PORT,... first");
  cmd->add_option("--brokers", request->brokers, "Number of brokers")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  cmd->add_option("--topic", request->topics,
                  "Create topic NAME with PARTITIONS partitions (NAME:PARTITIONS, repeatable)")
      ->allow_extra_args(false);
  cmd->callback([&chosen, request] {
    chosen = [request] { return serve_kafka_dev(*request); };
  });
}

}  // namespace sluice::tools
