// One job run on several nodes of this machine, as an operator would start it: a coordinator
// (the job's command line plus --role coordinator --listen HOST:PORT --min-workers N) and workers
// (--role worker --join HOST:PORT plus their own flags), each a background_process with its own
// log files. Also what a test reads from the coordinator's stderr: its port and its attempts.
// Not thread-safe: one test thread owns a cluster. Processes still running when it is destroyed
// are killed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/cluster/background_process.hpp"
#include "tests/fakes/child_process.hpp"

namespace sluice::cluster_test {

/// The port of the coordinator's line "sluice: coordinator listening on HOST:PORT", if printed.
std::optional<uint16_t> listening_port(const std::string& err);

/// A TCP port of 127.0.0.1 that was free a moment ago (bound to port 0, then released): for a
/// coordinator that must come back on the same port after a restart.
uint16_t free_port();

/// One line "sluice: attempt K: T tasks on W workers[, restoring checkpoint C]" of a coordinator.
struct attempt_line {
  uint64_t attempt = 0;
  uint32_t workers = 0;
  std::optional<uint64_t> restored;  ///< C, when the attempt restores a checkpoint
};

/// The attempt lines of a coordinator's stderr, in order.
std::vector<attempt_line> attempts(const std::string& err);

/// What to start. Every field says its default.
struct cluster_options {
  uint32_t workers = 2;                   ///< started by start(); also --min-workers
  std::string listen = "127.0.0.1:0";     ///< the coordinator's --listen (port 0: any free port)
  std::vector<std::string> worker_flags;  ///< on every worker's command line (--slots, TLS); none
  /// Edits each worker's launch just before it starts (its index, counted from 0): to run it
  /// through a wrapper command (`ip netns exec NS`) or have it join another address; none.
  std::function<void(test::launch&, std::size_t)> adapt_worker;
};

/// How every process of a cluster ended, coordinator first.
struct cluster_run {
  test::run_result coordinator;
  std::vector<test::run_result> workers;
  std::string commands;  ///< the command lines, one a line (cluster::commands())

  /// Every process exited with code 0.
  bool succeeded() const;
  /// The commands, then each process's outcome and stderr, for failure messages.
  std::string describe() const;
};

class cluster {
 public:
  /// `job`: the job as it would run locally (binary, flags, env); its log_prefix (required)
  /// names this cluster's log files: PREFIX-coordinator-K and PREFIX-worker-I .stdout/.stderr.
  cluster(test::launch job, cluster_options opts);

  /// Starts a coordinator (the first, or one replacing a dead one; `extra` flags appended) and
  /// waits for its listening line. Throws std::runtime_error, with its stderr, when it ends or
  /// hangs before.
  background_process& start_coordinator(std::vector<std::string> extra = {});
  /// Starts a worker joining the coordinator: worker_flags then `extra`; `env` as launch::env.
  background_process& start_worker(std::vector<std::string> extra = {},
                                   std::vector<std::string> env = {});
  /// start_coordinator(), then opts.workers workers.
  void start();

  uint16_t port() const { return port_; }
  /// The latest coordinator started.
  background_process& coordinator() { return *coordinators_.back(); }
  background_process& worker(std::size_t i) { return *workers_.at(i); }
  std::size_t workers() const { return workers_.size(); }
  /// The worker whose stderr says it first joined as the coordinator's worker `id` (ids count
  /// joins from 0; placement fills the first joined workers' slots first), if any.
  std::optional<std::size_t> worker_joined_as(uint32_t id);

  /// Waits for the latest coordinator, then for every worker (each with hang guard `limit`).
  cluster_run wait_all(std::chrono::seconds limit = std::chrono::seconds(120));
  /// Every command line started, one a line, to reproduce a failure by hand.
  std::string commands() const;

 private:
  test::launch job_;
  cluster_options opts_;
  uint16_t port_ = 0;
  std::vector<std::unique_ptr<background_process>> coordinators_;
  std::vector<std::unique_ptr<background_process>> workers_;
};

/// Starts a cluster and waits for all of it.
cluster_run run_cluster(const test::launch& job, const cluster_options& opts);

}  // namespace sluice::cluster_test
