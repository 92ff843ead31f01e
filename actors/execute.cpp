// environment::execute: plan, actor system, coordinator, signals, metrics.
#include <caf/all.hpp>

#include <atomic>
#include <csignal>
#include <fstream>
#include <map>

#include "actors/coordinator.hpp"
#include "actors/messages.hpp"
#include "actors/physical_plan.hpp"
#include "sluice/environment.hpp"

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

}  // namespace

job_result environment::execute() {
  job_result r;
  actors::plan_options po;
  po.parallelism = opts_.parallelism;
  po.max_parallelism = opts_.max_parallelism;
  po.batch_size = opts_.batch_size;
  po.linger_ms = opts_.linger_ms;
  po.credits = opts_.credits;
  std::shared_ptr<actors::physical_plan> plan;
  try {
    plan = std::make_shared<actors::physical_plan>(actors::build_plan(graph_, po));
  } catch (const std::exception& e) {
    r.error = e.what();
    return r;
  }
  caf::actor_system_config cfg;
  actors::register_wire_types(cfg);
  cfg.add_message_type<actors::job_outcome>("sluice.job_outcome");
  if (opts_.threads > 0)
    cfg.set("scheduler.max-threads", static_cast<size_t>(opts_.threads));
  cfg.set("logger.console", caf::atom("none"));
  caf::actor_system sys{cfg};
  stop_requested.store(false);
  auto old_int = std::signal(SIGINT, on_stop_signal);
  auto old_term = std::signal(SIGTERM, on_stop_signal);
  actors::coordinator_options co;
  co.progress = opts_.progress;
  co.stop_flag = &stop_requested;
  auto outcome = actors::run_plan(sys, plan, co);
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  r.ok = outcome.ok;
  r.error = outcome.error;
  r.seconds = outcome.seconds;
  summarize(*plan, outcome, r);
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
