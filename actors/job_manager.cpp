// --role coordinator: the job manager actor. It accepts workers, places the plan's tasks on them,
// runs each attempt under an attempt coordinator (actors/coordinator.hpp), and when a worker is
// lost it cancels the attempt everywhere, waits until every surviving task is gone, and starts a
// new attempt from the latest completed checkpoint on the workers that remain (or that join).
// This file holds the worker registry and the actor's protocol; the attempt life cycle is in
// job_attempts.cpp.
#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "actors/cluster.hpp"
#include "actors/job_manager_state.hpp"
#include "actors/messages.hpp"
#include "actors/network.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<const sluice::actors::physical_plan>)

namespace sluice::actors {

namespace {

using namespace manager;

/// Writes a fresh token into the checkpoint directory (see checkpoint_dir_token_file); "" when
/// the job has no checkpoints.
std::string write_dir_token(const physical_plan& plan) {
  if (!plan.checkpointing())
    return {};
  std::random_device rd;
  auto token = std::to_string(rd()) + "-" + std::to_string(rd()) + "-" + std::to_string(::getpid());
  auto path = plan.options.checkpoint_dir + "/" + checkpoint_dir_token_file;
  std::ofstream f(path, std::ios::trunc);
  f << token << "\n";
  f.close();
  if (!f)
    say("warning: cannot write " + path + ": workers will be refused");
  return token;
}

void on_worker_lost(manager_self* self, uint32_t w, const caf::error& reason) {
  auto& st = self->state;
  if (!st.workers[w].alive)
    return;
  st.workers[w].alive = false;
  if (st.ph == phase::over)
    return;
  say("worker " + st.workers[w].name + " lost: " + self->system().render(reason));
  bool used = std::find(st.attempt_workers.begin(), st.attempt_workers.end(), w) !=
              st.attempt_workers.end();
  if (used && st.coordinator && (st.ph == phase::running || st.ph == phase::deploying))
    self->send(st.coordinator, abort_atom::value, "worker " + st.workers[w].name + " was lost");
}

caf::behavior manager_behavior(manager_self* self, std::shared_ptr<const physical_plan> plan,
                               coordinator_options co, job_options opts) {
  auto& st = self->state;
  st.base = std::move(plan);
  st.co = co;
  st.opts = std::move(opts);
  st.dir_token = write_dir_token(*st.base);
  self->set_down_handler([self](const caf::down_msg& dm) {
    auto& st = self->state;
    for (uint32_t w = 0; w < st.workers.size(); ++w)
      if (st.workers[w].node.address() == dm.source)
        on_worker_lost(self, w, dm.reason);
  });
  return {
    [self](jobargs_atom) { return self->state.opts.job_args; },
    [self](join_atom, const std::string& name, uint32_t slots, const std::string& fingerprint,
           const std::string& dir_token) -> caf::result<uint32_t> {
      auto& st = self->state;
      if (fingerprint != st.base->fingerprint())
        return caf::make_error(caf::sec::runtime_error,
                               "worker " + name + " runs a different job (operators " +
                                   fingerprint + ", the coordinator's " +
                                   st.base->fingerprint() + ")");
      if (dir_token != st.dir_token)
        return caf::make_error(caf::sec::runtime_error,
                               "worker " + name + " does not see the coordinator's --checkpoint-dir " +
                                   st.base->options.checkpoint_dir +
                                   ": every node must reach the same checkpoint directory (a "
                                   "shared filesystem mounted at the same path)");
      if (st.ph == phase::over)
        return caf::make_error(caf::sec::runtime_error, "the job is over");
      auto node = caf::actor_cast<caf::actor>(self->current_sender());
      if (!node)
        return caf::make_error(caf::sec::runtime_error, "join without a sender");
      self->monitor(node);
      auto id = static_cast<uint32_t>(st.workers.size());
      st.workers.push_back({node, name, slots, true});
      say("worker " + name + " joined with " + std::to_string(slots) + " slots (" +
          std::to_string(live_workers(st).size()) + " live)");
      maybe_start(self);
      return id;
    },
    [self](run_atom) -> caf::result<job_outcome> {
      auto& st = self->state;
      st.promise = self->make_response_promise();
      maybe_start(self);
      return st.promise;
    },
    [self](lease_atom, int64_t asked) -> caf::result<int64_t> {
      // A worker's fencing lease (checkpoints/lease.hpp): granted while it counts as alive.
      auto& st = self->state;
      auto sender = self->current_sender();
      for (const auto& w : st.workers)
        if (w.alive && w.node.address() == caf::actor_cast<caf::actor_addr>(sender))
          return asked;
      return caf::make_error(caf::sec::runtime_error, "not a live worker of this job");
    },
    [self](done_atom) {
      auto& st = self->state;
      st.promise.deliver(st.outcome);
      self->quit();
    },
  };
}

}  // namespace

job_outcome run_coordinator_role(std::shared_ptr<const physical_plan> plan,
                                 const coordinator_options& co, const job_options& o) {
  job_outcome out;
  caf::actor_system_config cfg;
  configure_network(cfg, o);
  cfg.add_message_type<job_outcome>("sluice.job_outcome");
  if (o.threads > 0)
    cfg.set("scheduler.max-threads", static_cast<size_t>(o.threads));
  caf::actor_system sys{cfg};
  auto manager = sys.spawn(manager_behavior, std::move(plan), co, o);
  auto at = *parse_host_port(o.listen);
  auto port = publish_on(sys, manager, at, tls_enabled(o));
  if (!port) {
    caf::anon_send_exit(manager, caf::exit_reason::user_shutdown);
    out.error = "cannot listen on --listen " + o.listen + ": " + sys.render(port.error());
    return out;
  }
  // The line scripts and tests wait for (the port is the bound one when --listen asked for 0).
  std::fprintf(stderr, "sluice: coordinator listening on %s:%u%s\n", at.host.c_str(),
               static_cast<unsigned>(*port), tls_enabled(o) ? " (TLS)" : "");
  std::fflush(stderr);
  caf::scoped_actor self{sys};
  self->request(manager, caf::infinite, run_atom::value)
      .receive([&](job_outcome& r) { out = std::move(r); },
               [&](caf::error& e) { out.error = "job manager failed: " + sys.render(e); });
  return out;
}

}  // namespace sluice::actors
