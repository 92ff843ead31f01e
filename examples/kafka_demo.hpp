// The embedded-broker mode shared by the Kafka examples: with no --kafka-brokers they start a
// development broker in this process (connectors/kafka_dev_cluster.hpp), fill the input topic
// with demo lines (--input, or a built-in text), read it bounded, and print the output topic when
// the job ends — a whole Kafka pipeline with no server started by hand. With --kafka-brokers
// none of this happens: the job reads and writes the given cluster.
#pragma once

#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "connectors/kafka_job.hpp"
#include "sluice/cli.hpp"

namespace sluice::examples {

class kafka_demo {
 public:
  /// Starts the embedded broker when o.kafka_brokers is empty: creates the input and output
  /// topics (4 partitions each), produces the lines of --input (or `fallback`) to the input topic
  /// keyed by key_of(line) ("" for no key), and makes the read bounded. Throws on failure.
  kafka_demo(job_options& o, const std::string& program, const std::vector<std::string>& fallback,
             const std::function<std::string(const std::string&)>& key_of) {
    if (o.role == "worker")  // the coordinator started and fed the broker
      return;
    if (!o.kafka_brokers.empty()) {
      if (!o.input.empty() && !o.kafka_input.empty())
        throw job_error("--input and --kafka-input exclude each other with --kafka-brokers");
      return;
    }
    std::vector<kafka_dev_topic> topics;
    if (!o.kafka_input.empty())
      topics.push_back({o.kafka_input, 4});
    if (!o.kafka_output.empty())
      topics.push_back({o.kafka_output, 4});
    cluster_ = start_dev_cluster_if_needed(o, topics, program);
    if (o.kafka_input.empty())
      return;
    auto lines = o.input.empty() ? fallback : read_lines(o.input);
    std::vector<std::pair<std::string, std::string>> messages;
    messages.reserve(lines.size());
    for (auto& l : lines)
      messages.emplace_back(key_of(l), std::move(l));
    kafka_produce_all(kafka_connection_of(o), o.kafka_input, messages);
    o.kafka_bounded = true;
    o.input.clear();
    std::cerr << program << ": produced " << messages.size() << " demo line(s) to topic '"
              << o.kafka_input << "'; reading it bounded\n";
  }

  bool embedded() const { return cluster_ != nullptr; }

  /// Embedded mode: prints every message of `topic` ("KEY<TAB>VALUE" lines) after the job.
  void print_output(const job_options& o, const std::string& topic) const {
    if (!cluster_ || topic.empty())
      return;
    auto records = kafka_read_all(kafka_connection_of(o), topic);
    std::cout << "Topic '" << topic << "' (" << records.size() << " messages):\n";
    for (const auto& r : records)
      std::cout << r.key << '\t' << r.value << '\n';
  }

 private:
  static std::vector<std::string> read_lines(const std::string& path) {
    std::ifstream in(path);
    if (!in)
      throw job_error("input '" + path + "' does not exist or cannot be read");
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);)
      lines.push_back(std::move(l));
    return lines;
  }

  std::unique_ptr<kafka_dev_cluster> cluster_;
};

}  // namespace sluice::examples
