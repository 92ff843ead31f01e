// Helpers of the in-process connector tests: a development cluster per test, task contexts, an
// emitter that keeps what a source emits, and polling with a hang guard.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "connectors/kafka_dev_cluster.hpp"
#include "connectors/kafka_source.hpp"

namespace sluice::kafka_test {

/// Keeps every record a source emits.
class collecting_emitter final : public emitter {
 public:
  void emit(batch_ptr b) override {
    for (auto& r : as_batch<kafka_record>(*b).items)
      records.push_back(std::move(r));
  }
  void end_epoch(uint64_t) override {}
  std::vector<kafka_record> records;
};

inline task_context context(uint32_t subtask, uint32_t parallelism, const std::string& uid = "src") {
  task_context c;
  c.uid = uid;
  c.subtask = subtask;
  c.parallelism = parallelism;
  return c;
}

/// A development cluster with `topic` of `partitions` partitions and a connection to it.
struct cluster_fixture {
  explicit cluster_fixture(const std::string& topic = "in", int32_t partitions = 4) {
    cluster.create_topic({topic, partitions});
    connection.brokers = cluster.bootstrap_servers();
    connection.timeout_ms = 10000;
  }
  kafka_source_options source(const std::string& topic = "in") const {
    kafka_source_options o;
    o.connection = connection;
    o.topics = {topic};
    return o;
  }
  kafka_dev_cluster cluster;
  kafka_connection connection;
};

/// Numbered messages "v<first>" .. "v<first+n-1>", keyed "k<i % keys>".
inline std::vector<std::pair<std::string, std::string>> numbered(std::size_t first, std::size_t n,
                                                                 std::size_t keys = 7) {
  std::vector<std::pair<std::string, std::string>> v;
  for (std::size_t i = first; i < first + n; ++i)
    v.emplace_back("k" + std::to_string(i % keys), "v" + std::to_string(i));
  return v;
}

/// Polls until the source finished or `out` holds at least `want` records; throws at the hang
/// guard. Returns the last status.
inline poll_status drain(source_reader& s, collecting_emitter& out, std::size_t want = SIZE_MAX,
                         std::chrono::seconds guard = std::chrono::seconds(60)) {
  auto deadline = std::chrono::steady_clock::now() + guard;
  for (;;) {
    auto st = s.poll(out, 256);
    if (st == poll_status::finished || out.records.size() >= want)
      return st;
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("the source did not deliver in time (hang guard): " +
                               std::to_string(out.records.size()) + " records");
    if (st == poll_status::idle)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace sluice::kafka_test
