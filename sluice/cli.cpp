#include "sluice/cli.hpp"

#include <iostream>
#include <thread>

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
    "UINT");

}  // namespace

/// The "Kafka" group: flags of connectors/kafka_job.hpp.
void add_kafka_flags(CLI::App& app, job_options& opts);

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
