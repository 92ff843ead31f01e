// environment::execute: plan, actor system, coordinator, signals, metrics.
#include <caf/all.hpp>

#include <atomic>
#include <csignal>
#include <fstream>
#include <map>

#include "actors/cluster.hpp"
#include "actors/coordinator.hpp"
#include "actors/messages.hpp"
#include "actors/physical_plan.hpp"
#include "checkpoints/storage.hpp"
#include "sluice/environment.hpp"
#include "state/store.hpp"

#include <filesystem>
#include <unistd.h>

namespace sluice {

namespace {

std::atomic<bool> stop_requested{false};

extern "C" void on_stop_signal(int) {
  // First signal: stop the sources and drain; a second one ends the process the default way.
  stop_requested.store(true);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

/// Sums the per-task metrics into per-operator metrics, in graph order.
void summarize(const actors::physical_plan& plan, const actors::job_outcome& out, job_result& r) {
  const auto& g = *plan.graph;
  std::map<std::string, operator_metrics> by_uid;
  std::vector<std::string> order;
  auto slot = [&](const std::string& uid, uint32_t par) -> operator_metrics& {
    auto [it, fresh] = by_uid.try_emplace(uid);
    if (fresh) {
      it->second.uid = uid;
      order.push_back(uid);
    }
    it->second.parallelism = par;
    return it->second;
  };
  for (std::size_t t = 0; t < plan.tasks.size() && t < out.tasks.size(); ++t) {
    const auto& spec = plan.tasks[t];
    const auto& m = out.tasks[t];
    if (spec.kind == actors::task_kind::source) {
      r.bytes_read += m.bytes_read;
      r.source_records += m.records_in;
    }
    if (spec.kind == actors::task_kind::partition) {
      auto& om = slot(spec.ctx.uid, spec.ctx.parallelism);
      om.records_in += m.records_in;
      om.records_out += m.records_out;
      om.backpressure_ms += m.backpressure_ns / 1000000;
      om.max_in_flight_records = std::max(om.max_in_flight_records, m.max_in_flight_records);
      om.max_in_flight_batches = std::max(om.max_in_flight_batches, m.max_in_flight_batches);
      continue;
    }
    std::size_t base = spec.kind == actors::task_kind::source ? 1 : 0;
    for (std::size_t c = 0; c < spec.chain.size(); ++c) {
      const auto& n = g.node(spec.chain[c]);
      auto& om = slot(n.uid, plan.parallelism[n.id]);
      if (m.op_records.empty())
        continue;
      if (c < base) {  // the source: what it emitted
        om.records_out += m.op_records[0];
      } else {
        auto k = c - base;
        om.records_in += m.op_records[k];
        if (k < m.op_dead_letters.size())
          om.dead_letters += m.op_dead_letters[k];
        auto prefix = std::to_string(k) + ":";
        for (std::size_t g = 0; g < m.gauge_names.size(); ++g)
          if (m.gauge_names[g].rfind(prefix, 0) == 0)
            om.gauges[m.gauge_names[g].substr(prefix.size())] = m.gauge_values[g];
        if (n.kind != node_kind::sink)
          om.records_out += m.op_records[k + 1];
      }
      if (c + 1 == spec.chain.size()) {
        om.backpressure_ms += m.backpressure_ns / 1000000;
        om.max_in_flight_records = std::max(om.max_in_flight_records, m.max_in_flight_records);
        om.max_in_flight_batches = std::max(om.max_in_flight_batches, m.max_in_flight_batches);
      }
    }
  }
  for (const auto& uid : order)
    r.operators.push_back(by_uid[uid]);
}

/// Settles the plan options of `o`: backend, where state and dead letters go, the checkpoint
/// directory (made absolute and created). "" or an error.
std::string make_plan_options(const job_options& o, actors::plan_options& po,
                              bool& temp_state_dir) {
  namespace fs = std::filesystem;
  po.parallelism = o.parallelism;
  po.max_parallelism = o.max_parallelism;
  po.batch_size = o.batch_size;
  po.linger_ms = o.linger_ms;
  po.credits = o.credits;
  auto backend = state::parse_backend(o.state_backend);
  if (!backend)
    return "unknown --state-backend '" + o.state_backend + "' (memory or rocksdb)";
  po.state_backend = *backend;
  po.dead_letter_dir = !o.dead_letter_dir.empty() ? o.dead_letter_dir
                       : !o.output.empty()        ? o.output + ".dead-letters"
                                                  : std::string{"dead-letters"};
  po.state_dir = o.state_dir;
  po.checkpoints_retained = o.checkpoints_retained;
  if (po.state_dir.empty() && *backend == backend_kind::rocksdb) {
    if (!o.checkpoint_dir.empty()) {
      po.state_dir = o.checkpoint_dir + "/_work";  // same filesystem: checkpoints hard-link
    } else {
      po.state_dir = (fs::temp_directory_path() / ("sluice-state-" + std::to_string(::getpid()))).string();
      temp_state_dir = true;
    }
  }
  if (o.checkpoint_dir.empty())
    return {};
  po.checkpoint_dir = fs::absolute(o.checkpoint_dir).string();
  std::error_code ec;
  fs::create_directories(po.checkpoint_dir, ec);
  if (ec)
    return "cannot create --checkpoint-dir '" + o.checkpoint_dir + "': " + ec.message();
  return {};
}

/// Chooses the checkpoint to restore (or clears them with --from-scratch). "" or an error.
std::string choose_restore(const job_options& o, const actors::plan_options& po,
                           std::shared_ptr<const checkpoints::manifest>& restore,
                           uint64_t& first_id) {
  if (po.checkpoint_dir.empty())
    return {};
  checkpoints::checkpoint_storage storage{po.checkpoint_dir};
  if (o.from_scratch) {
    for (auto id : storage.list_completed())
      storage.discard(id);
    first_id = storage.max_id() + 1;
    return {};
  }
  auto choice = checkpoints::choose_recovery(storage);
  for (const auto& w : choice.warnings)
    std::fprintf(stderr, "sluice: warning: %s\n", w.c_str());
  if (!choice.error.empty())
    return choice.error;
  first_id = storage.max_id() + 1;
  if (!choice.chosen)
    return {};
  if (choice.chosen->max_parallelism != po.max_parallelism)
    return "checkpoint " + std::to_string(choice.chosen->id) + " in " + o.checkpoint_dir +
           " was taken with --max-parallelism " + std::to_string(choice.chosen->max_parallelism) +
           "; restoring needs the same value";
  restore = std::make_shared<checkpoints::manifest>(std::move(*choice.chosen));
  return {};
}

/// --role worker: serves the coordinator until the job ends.
job_result serve_as_worker(const job_graph& graph, const job_options& o) {
  job_result r;
  r.served_as_worker = true;
  actors::plan_options po;
  bool temp_state_dir = false;
  r.error = make_plan_options(o, po, temp_state_dir);
  if (r.error.empty())
    r.ok = actors::run_worker_role(graph, po, o) == 0;
  if (!r.ok && r.error.empty())
    r.error = "the worker ended without a successful job (its reason is above)";
  if (temp_state_dir) {
    std::error_code ec;
    std::filesystem::remove_all(po.state_dir, ec);
  }
  return r;
}

}  // namespace

job_result environment::execute() {
  job_result r;
  if (auto err = actors::check_cluster_options(opts_); !err.empty()) {
    r.error = err;
    return r;
  }
  if (opts_.role == "worker")
    return serve_as_worker(graph_, opts_);
  actors::plan_options po;
  std::shared_ptr<const checkpoints::manifest> restore;
  uint64_t first_id = 1;
  bool temp_state_dir = false;
  auto err = make_plan_options(opts_, po, temp_state_dir);
  if (err.empty())
    err = choose_restore(opts_, po, restore, first_id);
  if (!err.empty()) {
    r.error = err;
    return r;
  }
  std::shared_ptr<actors::physical_plan> plan;
  try {
    plan = std::make_shared<actors::physical_plan>(actors::build_plan(graph_, po));
  } catch (const std::exception& e) {
    r.error = e.what();
    return r;
  }
  plan->restore = restore;
  if (restore)
    std::fprintf(stderr, "sluice: restoring from checkpoint %llu in %s%s\n",
                 static_cast<unsigned long long>(restore->id), opts_.checkpoint_dir.c_str(),
                 restore->final ? " (the job had finished)" : "");
  stop_requested.store(false);
  auto old_int = std::signal(SIGINT, on_stop_signal);
  auto old_term = std::signal(SIGTERM, on_stop_signal);
  actors::coordinator_options co;
  co.progress = opts_.progress;
  co.stop_flag = &stop_requested;
  co.checkpoints.interval_ms = opts_.checkpoint_interval_ms;
  co.checkpoints.timeout_ms = opts_.checkpoint_timeout_ms;
  co.checkpoints.retained = opts_.checkpoints_retained;
  co.first_checkpoint_id = first_id;
  actors::job_outcome outcome;
  if (opts_.role == "coordinator") {
    outcome = actors::run_coordinator_role(plan, co, opts_);
  } else {
    caf::actor_system_config cfg;
    actors::register_wire_types(cfg);
    cfg.add_message_type<actors::job_outcome>("sluice.job_outcome");
    if (opts_.threads > 0)
      cfg.set("scheduler.max-threads", static_cast<size_t>(opts_.threads));
    cfg.set("logger.console", caf::atom("none"));
    caf::actor_system sys{cfg};
    outcome = actors::run_plan(sys, plan, co);
  }
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  r.ok = outcome.ok;
  r.error = outcome.error;
  r.seconds = outcome.seconds;
  r.checkpoints_completed = outcome.checkpoints_completed;
  r.checkpoints_failed = outcome.checkpoints_failed;
  r.last_checkpoint_id = outcome.last_checkpoint_id;
  r.last_checkpoint_ms = outcome.last_checkpoint_ms;
  r.last_checkpoint_bytes = outcome.last_checkpoint_bytes;
  r.restored_from = restore ? restore->id : 0;
  r.restarts = outcome.restarts;
  summarize(*plan, outcome, r);
  if (temp_state_dir) {
    std::error_code ec;
    std::filesystem::remove_all(po.state_dir, ec);
  }
  if (!opts_.metrics_json.empty()) {
    std::ofstream f(opts_.metrics_json);
    f << r.to_json() << "\n";
    if (!f && r.ok) {
      r.ok = false;
      r.error = "cannot write --metrics-json file '" + opts_.metrics_json + "'";
    }
  }
  return r;
}

}  // namespace sluice
