// Helpers of the Kafka tests: scratch directories, child processes (the example binaries, run as
// a user would, killable at a chosen moment), the development broker as an independent process
// (`sluice kafka-dev`), and an independent Kafka client (tests/kafka/kafka_client.py, kafka-python
// under Debian's /usr/bin/python3: it shares no code with librdkafka). Every wait has a hang
// guard; nothing asserts on how long anything took.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sluice::kafka_test {

inline const std::string sluice_tool = SLUICE_BINARY_DIR "/tools/sluice";
inline const std::string account_balances = SLUICE_BINARY_DIR "/examples/account_balances";
inline const std::string kafka_wordcount = SLUICE_BINARY_DIR "/examples/kafka_wordcount";
inline const std::string client_script = SLUICE_SOURCE_DIR "/tests/kafka/kafka_client.py";
inline const std::string python = "/usr/bin/python3";  // Debian's, which has python3-kafka

/// A fresh directory, removed with its contents on destruction (kept with SLUICE_KEEP_SCRATCH).
class scratch_dir {
 public:
  scratch_dir();
  ~scratch_dir();
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& bytes);

/// How a child process ended and what it wrote.
struct run_result {
  bool exited = false;
  int code = -1;
  int signal = 0;
  bool killed_by_test = false;
  bool hung = false;  ///< still running at the hang guard (then killed)
  std::string out;
  std::string err;
  bool succeeded() const { return exited && code == 0; }
  std::string describe() const;
};

struct run_options {
  std::vector<std::string> args;
  std::vector<std::string> env;  ///< NAME=VALUE added to the test's environment (minus SLUICE_FAULT)
  std::optional<std::chrono::milliseconds> kill_after;  ///< SIGKILL at this moment
  std::chrono::seconds limit{120};                      ///< hang guard
};

run_result run_process(const std::string& binary, const run_options& o);

/// `sluice kafka-dev` with `topics` ("NAME:PARTITIONS") as a child process; stopped with
/// SIGTERM on destruction (and with the test process, via PR_SET_PDEATHSIG).
class dev_broker {
 public:
  explicit dev_broker(const std::vector<std::string>& topics, int brokers = 1);
  ~dev_broker();
  dev_broker(const dev_broker&) = delete;
  dev_broker& operator=(const dev_broker&) = delete;
  const std::string& bootstrap() const { return bootstrap_; }
  /// Stops it: SIGTERM, then waits; returns the exit status as run_result.
  run_result stop();

 private:
  pid_t pid_ = -1;
  scratch_dir io_;
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

/// splitmix64: the same numbers everywhere.
class rng {
 public:
  explicit rng(uint64_t seed) : s_(seed) {}
  uint64_t next();
  uint64_t below(uint64_t n) { return next() % n; }

 private:
  uint64_t s_;
};

/// The lines of `text` that contain `needle`.
std::vector<std::string> lines_containing(const std::string& text, const std::string& needle);

}  // namespace sluice::kafka_test
