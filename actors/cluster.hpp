// Multi-node deployment: a job binary runs as --role coordinator (the job manager: it accepts
// workers, places subtasks on them, runs the checkpoint coordinator and restarts the job from its
// latest checkpoint when a worker is lost) or as --role worker (it fetches the job's command line
// from the coordinator, builds the same graph, and runs the subtasks it is given).
// Links between nodes are CAF's middleman (BASP over TCP), optionally TLS with a shared
// certificate authority (libcaf-openssl), with heartbeats so a hung or partitioned node is
// declared dead after --node-timeout-ms. Free of CAF includes: the CLI and execute() use it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/physical_plan.hpp"
#include "sluice/options.hpp"

namespace caf {
class actor_system_config;
}

namespace sluice::actors {

struct host_port {
  std::string host;
  uint16_t port = 0;
};

/// "HOST:PORT" (PORT 0..65535; [v6] brackets allowed), or nullopt.
std::optional<host_port> parse_host_port(const std::string& s);

/// Checks the multi-node flags of `o` (role, addresses, TLS files, timeouts): "" or a one-line
/// error naming the flag.
std::string check_cluster_options(const job_options& o);

/// Loads the middleman with heartbeats (and the OpenSSL module when TLS is configured) and
/// registers every wire type: the one place a networked actor system is configured.
void configure_network(caf::actor_system_config& cfg, const job_options& o);

/// Worker start-up: asks the coordinator at o.join for the job's command line (retrying until
/// o.join_timeout_ms). nullopt and `error` set when it cannot be reached.
std::optional<std::vector<std::string>> fetch_job_args(const job_options& o, std::string& error);

/// The file in the checkpoint directory through which a worker shows it reaches the same
/// directory as its coordinator: the coordinator writes a fresh token into it, a worker sends back
/// what it reads there when it joins.
inline constexpr const char* checkpoint_dir_token_file = "_coordinator.token";

/// The RocksDB working directory of attempt `attempt` on worker `node` under `state_dir`
/// (each attempt of each worker has its own: a hung worker may still hold its files open).
std::string attempt_state_dir(const std::string& state_dir, const std::string& node,
                              uint64_t attempt);
/// Removes every attempt_state_dir of `node` under `state_dir` (a lost worker's leftovers).
void remove_attempt_state_dirs(const std::string& state_dir, const std::string& node);

struct coordinator_options;
struct job_outcome;

/// --role coordinator: publishes the job manager on o.listen, waits for o.min_workers workers
/// with enough slots, runs `plan` on them (its `restore` is the first attempt's checkpoint), and
/// restarts from the latest completed checkpoint when a worker is lost (at most
/// o.max_restarts times). Blocks until the job ends; workers are then told to exit.
job_outcome run_coordinator_role(std::shared_ptr<const physical_plan> plan,
                                 const coordinator_options& co, const job_options& o);

/// --role worker: joins the coordinator at o.join and runs the subtasks it is given, each
/// attempt with a plan built from `graph` and `po`. Re-joins after losing the coordinator (a
/// restarted coordinator resumes the job) until o.join_timeout_ms passes without one. Returns
/// the process exit code: 0 when the job succeeded, 1 otherwise.
int run_worker_role(const job_graph& graph, const plan_options& po, const job_options& o);

}  // namespace sluice::actors
