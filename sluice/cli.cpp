#include "sluice/cli.hpp"

#include <iostream>
#include <thread>

#include "actors/cluster.hpp"
#include "sluice/output_mode.hpp"

namespace sluice {

namespace {

/// Plain decimal digits only: CLI11 would read "-5" into an unsigned as 2^64-5
/// and "010" as octal.
const CLI::Validator decimal_count(
    [](std::string& s) -> std::string {
      if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
        return "expected a non-negative decimal integer, got '" + s + "'";
      return {};
    },
    "");

}  // namespace

/// The "Kafka" group: flags of connectors/kafka_job.hpp.
void add_kafka_flags(CLI::App& app, job_options& opts);
/// The "Multi-node" group: flags of actors/cluster.hpp.
void add_cluster_flags(CLI::App& app, job_options& opts);

cli::cli(std::string name, std::string description)
    : name_(std::move(name)), app_(description, name_) {
  app_.set_help_flag("-h,--help", "Print this help and exit");
  auto* g = "Runtime";
  app_.add_option("--parallelism", opts_.parallelism,
                  "Default parallelism of operators (default: number of cores)")
      ->check(decimal_count)
      ->group(g)
      ->check(CLI::Range(1u, 4096u));
  app_.add_option("--max-parallelism", opts_.max_parallelism,
                  "Number of key groups, the upper bound of parallelism")
      ->check(decimal_count)
      ->group(g)
      ->check(CLI::Range(1u, 32768u))
      ->capture_default_str();
  app_.add_option("--transfer-batch-size", opts_.batch_size, "Records per batch between actors")
      ->check(decimal_count)
      ->group(g)
      ->check(CLI::Range(1u, 1u << 20))
      ->capture_default_str();
  app_.add_option("--linger-ms", opts_.linger_ms, "Longest wait of a partial batch, in ms")
      ->check(decimal_count)
      ->group(g)
      ->check(CLI::Range(0u, 60000u))
      ->capture_default_str();
  app_.add_option("--credits", opts_.credits, "Batches in flight per channel (flow control)")
      ->check(decimal_count)
      ->group(g)
      ->check(CLI::Range(1u, 1u << 16))
      ->capture_default_str();
  app_.add_option("--threads", opts_.threads, "Scheduler threads (default: number of cores)")
      ->check(decimal_count)
      ->group(g)
      ->check(CLI::Range(0u, 1024u));
  app_.add_flag("--progress", opts_.progress, "Print progress to stderr once a second")->group(g);
  app_.add_option("--metrics-json", opts_.metrics_json, "Write the job's metrics as JSON here")
      ->group(g);
  auto* ft = "Fault tolerance";
  app_.add_option("--checkpoint-dir", opts_.checkpoint_dir,
                  "Directory of checkpoints; a job started on one with "
                  "completed checkpoints "
                  "resumes from the latest valid one")
      ->group(ft);
  app_.add_option("--checkpoint-interval-ms", opts_.checkpoint_interval_ms,
                  "Between checkpoints (0: only the final one)")
      ->check(decimal_count)
      ->group(ft)
      ->capture_default_str();
  app_.add_option("--checkpoint-timeout-ms", opts_.checkpoint_timeout_ms,
                  "Abort a checkpoint not complete after this long")
      ->check(decimal_count)
      ->group(ft)
      ->check(CLI::Range(1u, 86400000u))
      ->capture_default_str();
  app_.add_option("--checkpoints-retained", opts_.checkpoints_retained,
                  "Completed checkpoints to keep")
      ->check(decimal_count)
      ->group(ft)
      ->check(CLI::Range(1u, 1000u))
      ->capture_default_str();
  app_.add_flag("--from-scratch", opts_.from_scratch,
                "Delete the checkpoints in --checkpoint-dir and start over")
      ->group(ft);
  app_.add_option("--state-backend", opts_.state_backend, "Keyed state backend")
      ->group(ft)
      ->check(CLI::IsMember({"memory", "rocksdb"}))
      ->capture_default_str();
  app_.add_option("--state-dir", opts_.state_dir,
                  "Working directory of RocksDB state (default: DIR/_work of "
                  "--checkpoint-dir)")
      ->group(ft);
  app_.add_option("--dead-letter-dir", opts_.dead_letter_dir,
                  "Where malformed records go (default: OUTPUT.dead-letters)")
      ->group(ft);
  auto* io = "Input and output";
  auto* in =
      app_.add_option("--input", opts_.input, "File or directory to read lines from")->group(io);
  auto* sock = app_.add_option("--socket", opts_.socket, "HOST:PORT to read lines from")->group(io);
  in->excludes(sock);
  app_.add_flag("--follow", opts_.follow,
                "Keep watching --input for new files and appended lines (unbounded)")
      ->group(io);
  app_.add_option("--output", opts_.output, "Directory for part files (default: console)")
      ->group(io);
  app_.add_option("--output-mode", opts_.output_mode, "Aggregation output mode")
      ->group(io)
      ->check(CLI::IsMember({"complete", "update", "append"}))
      ->capture_default_str();
  app_.add_option("--trigger-ms", opts_.trigger_ms,
                  "Emit aggregation results every N ms (0: at end of input only)")
      ->check(decimal_count)
      ->group(io)
      ->capture_default_str();
  add_kafka_flags(app_, opts_);
  add_cluster_flags(app_, opts_);
}

void add_cluster_flags(CLI::App& app, job_options& opts) {
  auto* c = "Multi-node";
  app.add_option("--role", opts.role,
                 "local: the whole job in this process; coordinator: run it on workers; worker: "
                 "run the subtasks a coordinator gives (needs only --join)")
      ->group(c)
      ->check(CLI::IsMember({"local", "coordinator", "worker"}))
      ->capture_default_str();
  app.add_option("--listen", opts.listen,
                 "Coordinator: HOST:PORT workers join (0.0.0.0 for every interface)")
      ->group(c)
      ->capture_default_str();
  app.add_option("--join", opts.join, "Worker: the coordinator's HOST:PORT")->group(c);
  app.add_option("--slots", opts.slots,
                 "Worker: subtasks of each operator it runs (default: number of cores)")
      ->check(decimal_count)
      ->group(c)
      ->check(CLI::Range(1u, 4096u));
  app.add_option("--min-workers", opts.min_workers, "Coordinator: workers to wait for")
      ->check(decimal_count)
      ->group(c)
      ->check(CLI::Range(1u, 4096u))
      ->capture_default_str();
  app.add_option("--heartbeat-interval-ms", opts.heartbeat_interval_ms,
                 "Heartbeats between nodes, in ms")
      ->check(decimal_count)
      ->group(c)
      ->check(CLI::Range(10u, 60000u))
      ->capture_default_str();
  app.add_option("--node-timeout-ms", opts.node_timeout_ms,
                 "A node silent this long is dead (hang, partition)")
      ->check(decimal_count)
      ->group(c)
      ->check(CLI::Range(50u, 600000u))
      ->capture_default_str();
  app.add_option("--join-timeout-ms", opts.join_timeout_ms,
                 "Worker: how long to try to reach the coordinator (also after losing it)")
      ->check(decimal_count)
      ->group(c)
      ->check(CLI::Range(1u, 86400000u))
      ->capture_default_str();
  app.add_option("--max-restarts", opts.max_restarts,
                 "Coordinator: restarts after lost workers before the job fails")
      ->check(decimal_count)
      ->group(c)
      ->capture_default_str();
  app.add_option("--tls-cert", opts.tls_cert, "TLS: this node's certificate (PEM)")->group(c);
  app.add_option("--tls-key", opts.tls_key, "TLS: this node's private key (PEM)")->group(c);
  app.add_option("--tls-ca", opts.tls_ca,
                 "TLS: the certificate authority every node's certificate is signed by")
      ->group(c);
}

void add_kafka_flags(CLI::App& app, job_options& opts) {
  auto* k = "Kafka";
  app.add_option("--kafka-brokers", opts.kafka_brokers,
                 "bootstrap.servers HOST:PORT,... (default: an embedded development broker)")
      ->group(k);
  app.add_option("--kafka-input", opts.kafka_input, "Kafka topic to read")->group(k);
  app.add_option("--kafka-output", opts.kafka_output, "Kafka topic to write")->group(k);
  app.add_option("--kafka-start", opts.kafka_start,
                 "Where a first run reads from: earliest, latest, committed or TIMESTAMP_MS")
      ->group(k)
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            if (s == "earliest" || s == "latest" || s == "committed" ||
                (!s.empty() && s.size() <= 18 && s.find_first_not_of("0123456789") == std::string::npos))
              return {};
            return "expected earliest, latest, committed or a timestamp in ms, got '" + s + "'";
          },
          "START"))
      ->capture_default_str();
  app.add_flag("--kafka-bounded", opts.kafka_bounded,
               "Stop at the end offsets the input had when the job first started")
      ->group(k);
  app.add_option("--kafka-delivery", opts.kafka_delivery, "Kafka sink guarantee")
      ->group(k)
      ->check(CLI::IsMember({"exactly-once", "at-least-once"}))
      ->capture_default_str();
  app.add_option("--kafka-group", opts.kafka_group,
                 "Consumer group for committed offsets (default: sluice-<source uid>)")
      ->group(k);
  app.add_flag("--kafka-create-topics", opts.kafka_create_topics,
               "Ask the brokers to create a missing output topic")
      ->group(k);
  app.add_option("--kafka-timeout-ms", opts.kafka_timeout_ms,
                 "Longest wait for Kafka metadata (unreachable brokers fail after it)")
      ->check(decimal_count)
      ->group(k)
      ->check(CLI::Range(1u, 3600000u))
      ->capture_default_str();
  app.add_option("--kafka-property", opts.kafka_properties,
                 "librdkafka property NAME=VALUE for every Kafka client (repeatable)")
      ->group(k)
      ->allow_extra_args(false)
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            auto eq = s.find('=');
            return eq == std::string::npos || eq == 0 ? "expected NAME=VALUE, got '" + s + "'" : "";
          },
          "NAME=VALUE"));
}

std::optional<int> cli::parse(int argc, char** argv) {
  const auto defaults = opts_;  // with what the program set before parsing
  if (auto rc = parse_args(argc, argv))
    return rc;
  if (auto err = actors::check_cluster_options(opts_); !err.empty()) {
    std::cerr << name_ << ": error: " << err << "\n";
    return 2;
  }
  if (opts_.role != "worker") {
    opts_.job_args.assign(argv + 1, argv + argc);
    return std::nullopt;
  }
  // A worker runs the coordinator's job: it takes the coordinator's command line and keeps only
  // its own multi-node flags (role, coordinator address, slots, certificates, timeouts).
  auto own = opts_;
  std::string error;
  auto args = actors::fetch_job_args(own, error);
  if (!args) {
    std::cerr << name_ << ": error: " << error << "\n";
    return 1;
  }
  std::vector<std::string> full{argv[0]};
  full.insert(full.end(), args->begin(), args->end());
  std::vector<char*> ptrs;
  for (auto& a : full)
    ptrs.push_back(a.data());
  opts_ = defaults;
  app_.clear();
  if (parse_args(static_cast<int>(ptrs.size()), ptrs.data())) {
    std::cerr << name_ << ": error: the coordinator's command line does not parse here: is "
              << own.join << " running this job binary?\n";
    return 1;
  }
  opts_.role = own.role;
  opts_.join = own.join;
  opts_.slots = own.slots;
  opts_.heartbeat_interval_ms = own.heartbeat_interval_ms;
  opts_.node_timeout_ms = own.node_timeout_ms;
  opts_.join_timeout_ms = own.join_timeout_ms;
  opts_.tls_cert = own.tls_cert;
  opts_.tls_key = own.tls_key;
  opts_.tls_ca = own.tls_ca;
  opts_.threads = own.threads;
  opts_.job_args = std::move(*args);
  return std::nullopt;
}

std::optional<int> cli::parse_args(int argc, char** argv) {
  try {
    app_.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app_.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app_.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    if (auto nl = msg.find('\n'); nl != std::string::npos)
      msg.resize(nl);
    std::cerr << name_ << ": error: " << msg << " (see --help)\n";
    return 2;
  }
  if (opts_.parallelism == 0)
    opts_.parallelism = std::max(1u, std::thread::hardware_concurrency());
  if (opts_.parallelism > opts_.max_parallelism) {
    std::cerr << name_ << ": error: --parallelism " << opts_.parallelism
              << " exceeds --max-parallelism " << opts_.max_parallelism << "\n";
    return 2;
  }
  if (!opts_.socket.empty()) {
    auto colon = opts_.socket.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == opts_.socket.size() ||
        opts_.socket.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
      std::cerr << name_ << ": error: --socket expects HOST:PORT, got '" << opts_.socket << "'\n";
      return 2;
    }
  }
  return std::nullopt;
}

int report_error(const std::string& name, const std::string& what) {
  std::cerr << name << ": error: " << what << "\n";
  return 1;
}

}  // namespace sluice
