// Helpers of the Kafka tests: the development broker as an independent process (`sluice
// kafka-dev`), and an independent Kafka client (tests/kafka/kafka_client.py, kafka-python under
// Debian's /usr/bin/python3: it shares no code with librdkafka). Child processes (the example
// binaries, run as a user would, killable at a chosen moment), scratch directories and file
// helpers are tests/fakes'. Every wait has a hang guard; nothing asserts on how long anything took.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/fakes/child_process.hpp"
#include "tests/fakes/temp_dir.hpp"

namespace sluice::kafka_test {

inline const std::string sluice_tool = SLUICE_BINARY_DIR "/tools/sluice";
inline const std::string account_balances = SLUICE_BINARY_DIR "/examples/account_balances";
inline const std::string kafka_wordcount = SLUICE_BINARY_DIR "/examples/kafka_wordcount";
inline const std::string client_script = SLUICE_SOURCE_DIR "/tests/kafka/kafka_client.py";
inline const std::string python = "/usr/bin/python3";  // Debian's, which has python3-kafka

/// `sluice kafka-dev` with `topics` ("NAME:PARTITIONS") as a child process; stopped with
/// SIGTERM on destruction (and SIGKILLed with the test process, as every child of
/// tests/fakes/child_process.hpp).
class dev_broker {
 public:
  explicit dev_broker(const std::vector<std::string>& topics, int brokers = 1);
  ~dev_broker();
  dev_broker(const dev_broker&) = delete;
  dev_broker& operator=(const dev_broker&) = delete;
  const std::string& bootstrap() const { return bootstrap_; }
  /// Stops it: SIGTERM, then waits (SIGKILL at the hang guard); how it ended and what it wrote.
  test::run_result stop();

 private:
  std::string out_path() const { return io_ / "broker.stdout"; }
  std::string err_path() const { return io_ / "broker.stderr"; }

  test::temp_dir io_;
  pid_t pid_ = -1;
  std::string bootstrap_;
};

/// One message as the independent client read it.
struct message {
  int32_t partition = 0;
  int64_t offset = 0;
  std::optional<std::string> key;
  std::string value;
  std::map<std::string, std::string> headers;
};

/// Produces (key, value) pairs with kafka-python ("" key: none); throws with its error line.
void produce(const std::string& bootstrap, const std::string& topic,
             const std::vector<std::pair<std::string, std::string>>& messages);
/// Every message of `topic`, uncommitted data included, per partition in offset order.
std::vector<message> consume_all(const std::string& bootstrap, const std::string& topic);

/// The lines of `text` that contain `needle`.
std::vector<std::string> lines_containing(const std::string& text, const std::string& needle);

}  // namespace sluice::kafka_test
