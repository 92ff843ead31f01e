// Options every job shares, set from the command line by sluice::cli (sluice/cli.hpp) or in
// code. Plain struct: every field states its default.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice {

struct job_options {
  /// Default parallelism of operators that set none. Default: the number of cores.
  uint32_t parallelism = 0;
  /// Number of key groups; upper bound of any operator's parallelism. Default 128.
  uint32_t max_parallelism = 128;
  /// Records per batch between actors. Default 1024.
  uint32_t batch_size = 1024;
  /// Longest time a partial batch waits before it is sent, in ms. Default 10.
  uint32_t linger_ms = 10;
  /// Batches in flight per channel (credit-based flow control). Default 8.
  uint32_t credits = 8;
  /// Scheduler threads of the actor system; 0 means one per core. Default 0.
  uint32_t threads = 0;
  /// Print progress to stderr about once a second. Default off.
  bool progress = false;
  /// Write the job's metrics as JSON to this file at the end. Default: none.
  std::string metrics_json;

  // Fault tolerance.
  /// Directory of checkpoints; empty disables checkpointing. Default: none.
  std::string checkpoint_dir;
  /// Between checkpoints, in ms; 0 takes only the final checkpoint. Default 1000.
  uint32_t checkpoint_interval_ms = 1000;
  /// A checkpoint not complete after this long is aborted (the job goes on). Default 60000.
  uint32_t checkpoint_timeout_ms = 60000;
  /// Completed checkpoints kept. Default 3.
  uint32_t checkpoints_retained = 3;
  /// Ignore and delete the checkpoints in checkpoint_dir and start over. Default off.
  bool from_scratch = false;
  /// Keyed state backend: "memory" or "rocksdb". Default memory.
  std::string state_backend = "memory";
  /// Working directory of RocksDB state. Default: DIR/_work under --checkpoint-dir, else a
  /// temporary directory.
  std::string state_dir;
  /// Where malformed records are written. Default: OUTPUT.dead-letters beside --output, else
  /// ./dead-letters.
  std::string dead_letter_dir;

  // Multi-node (actors/cluster.hpp). A worker receives every other option from its coordinator.
  /// local (everything in this process), coordinator or worker. Default local.
  std::string role = "local";
  /// Coordinator: HOST:PORT to accept workers on (port 0: any free port, printed). Default
  /// 127.0.0.1:7077 (loopback: give an address to accept other machines).
  std::string listen = "127.0.0.1:7077";
  /// Worker: HOST:PORT of the coordinator. Default: none.
  std::string join;
  /// Worker: subtasks of each operator this worker can run (Flink's task slots). Default: the
  /// number of cores.
  uint32_t slots = 0;
  /// Coordinator: workers to wait for before the job starts. Default 1.
  uint32_t min_workers = 1;
  /// Between CAF heartbeats on every link between nodes, in ms. Default 200.
  uint32_t heartbeat_interval_ms = 200;
  /// A node silent for this long is declared dead (hang, partition), in ms. Default 1500.
  uint32_t node_timeout_ms = 1500;
  /// Worker: how long to keep trying to reach the coordinator, at start and after losing it,
  /// in ms. Default 30000.
  uint32_t join_timeout_ms = 30000;
  /// Coordinator: restarts after lost workers before the job fails. Default 10.
  uint32_t max_restarts = 10;
  /// TLS between nodes: this node's certificate (PEM chain), its private key and the
  /// certificate authority every peer's certificate must be signed by. All three or none.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  /// The command line the job was started with (argv[1..]); what a coordinator sends its
  /// workers. Set by sluice::cli.
  std::vector<std::string> job_args;

  // Input and output flags shared by the examples.
  /// A file or a directory of files to read lines from. Default: none.
  std::string input;
  /// HOST:PORT of a server to read lines from (Spark's socketTextStream). Default: none.
  std::string socket;
  /// Keep watching --input for new files and appended lines. Default off (bounded).
  bool follow = false;
  /// Directory for part files; empty means the console. Default: console.
  std::string output;
  /// Aggregation output mode: complete, update or append. Default complete.
  std::string output_mode = "complete";
  /// Processing-time trigger of aggregations in ms; 0 emits only at the end of input. Default 0.
  uint64_t trigger_ms = 0;

  // Kafka (connectors/kafka_job.hpp).
  /// bootstrap.servers, HOST:PORT,...; empty: the examples start an embedded development broker.
  /// Default: none.
  std::string kafka_brokers;
  /// Topic to read. Default: none.
  std::string kafka_input;
  /// Topic to write. Default: none.
  std::string kafka_output;
  /// Where a first run reads from: earliest, latest, committed or a timestamp in ms since the
  /// epoch (a restored run resumes from its checkpoint). Default earliest.
  std::string kafka_start = "earliest";
  /// Stop at the end offsets the input had when the job first started. Default off.
  bool kafka_bounded = false;
  /// Kafka sink guarantee: exactly-once or at-least-once. Default exactly-once.
  std::string kafka_delivery = "exactly-once";
  /// Consumer group for --kafka-start committed and for committing checkpointed offsets.
  /// Default: sluice-<source uid>.
  std::string kafka_group;
  /// Ask the brokers to create a missing output topic. Default off (a missing topic is an error).
  bool kafka_create_topics = false;
  /// Longest wait for Kafka metadata (unreachable brokers fail after it), in ms. Default 10000.
  uint32_t kafka_timeout_ms = 10000;
  /// Extra librdkafka properties, "NAME=VALUE" (security.protocol, sasl.*, fetch.wait.max.ms,
  /// ...), for every Kafka client of the job. Default: none.
  std::vector<std::string> kafka_properties;
};

}  // namespace sluice
