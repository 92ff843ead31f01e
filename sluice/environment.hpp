// The entry point of a job: holds the options and the logical graph, creates sources, and runs
// the job. Build the graph on one thread, then call execute() once; it blocks until the job
// ends (a bounded input is exhausted, or SIGINT/SIGTERM stopped the sources) and returns the
// outcome with the job's metrics.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sluice/job_graph.hpp"
#include "sluice/options.hpp"

namespace sluice {

template <class T>
class stream;

/// Records in and out of one operator, summed over its subtasks.
struct operator_metrics {
  std::string uid;
  uint32_t parallelism = 0;
  uint64_t records_in = 0;
  uint64_t records_out = 0;
  uint64_t backpressure_ms = 0;        ///< summed over subtasks: output waiting for credit
  uint64_t max_in_flight_records = 0;  ///< max over its output channels
  uint64_t max_in_flight_batches = 0;
  uint64_t dead_letters = 0;           ///< malformed records sent to the dead-letter files
  std::map<std::string, double> gauges;  ///< operator-specific values (a model's version, error)
};

struct job_result {
  bool ok = false;
  std::string error;     ///< one line naming what failed, when !ok
  double seconds = 0;
  uint64_t bytes_read = 0;       ///< by all sources
  uint64_t source_records = 0;   ///< emitted by all sources
  std::vector<operator_metrics> operators;  ///< graph order; partition stages as "<uid>.partition"
  uint64_t checkpoints_completed = 0;
  uint64_t checkpoints_failed = 0;
  uint64_t last_checkpoint_id = 0;
  uint64_t last_checkpoint_ms = 0;      ///< trigger to completion of the last checkpoint
  uint64_t last_checkpoint_bytes = 0;   ///< its state files
  uint64_t restored_from = 0;           ///< checkpoint the run started from; 0 for none
  uint32_t restarts = 0;                ///< multi-node: attempts restarted after a lost worker
  /// --role worker: this process ran subtasks for a coordinator, which holds the job's results
  /// and metrics; the program should only exit (0 when ok).
  bool served_as_worker = false;
  /// The metrics as a JSON document.
  std::string to_json() const;
  const operator_metrics* find(const std::string& uid) const;
};

/// Thrown while building a job for a problem the user must fix (missing input, bad uid, ...).
struct job_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class environment {
 public:
  explicit environment(job_options opts = {});

  const job_options& options() const { return opts_; }
  job_graph& graph() { return graph_; }

  /// Lines of a file or of a directory's files; `follow` keeps watching (unbounded).
  stream<std::string> read_text(const std::string& path, bool follow = false);
  /// Lines from a TCP server, HOST:PORT (Spark's socketTextStream).
  stream<std::string> socket_text(const std::string& host_port);
  /// Lines from --input (with --follow) or --socket, whichever the options name.
  stream<std::string> text_input();
  /// Record i = f(i) for i in [0, count); `rate` records/s in total, 0 for full speed.
  template <class T, class F>
  stream<T> generate(uint64_t count, F f, double rate = 0);
  /// A custom source: `make` builds the reader of each subtask.
  template <class T>
  stream<T> from_source(std::function<source_ptr(const task_context&)> make,
                        const std::string& name = "source");

  /// Runs the job to its end. Never throws for job failures: they come back in the result.
  /// With --role worker it serves the coordinator's attempts instead, until the job is over or
  /// the coordinator is gone for good; the result then says served_as_worker.
  job_result execute();

  /// Adds a node producing records of type T (used by the typed API).
  template <class T>
  uint32_t add_node(graph_node n, const std::string& base_name);

 private:
  job_options opts_;
  job_graph graph_;
};

}  // namespace sluice
