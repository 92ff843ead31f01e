// --role coordinator: the job manager actor. It accepts workers, places the plan's tasks on them,
// runs each attempt under an attempt coordinator (actors/coordinator.hpp), and when a worker is
// lost it cancels the attempt everywhere, waits until every surviving task is gone, and starts a
// new attempt from the latest completed checkpoint on the workers that remain (or that join).
#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <random>

#include "actors/coordinator.hpp"
#include "actors/messages.hpp"
#include "actors/network.hpp"
#include "actors/placement.hpp"
#include "checkpoints/storage.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<const sluice::actors::physical_plan>)

namespace sluice::actors {

namespace {

void say(const std::string& line) {
  std::fprintf(stderr, "sluice: %s\n", line.c_str());
  std::fflush(stderr);
}

struct worker_info {
  caf::actor node;
  std::string name;
  uint32_t slots = 0;
  bool alive = true;
};

enum class phase { waiting, deploying, running, cancelling, over };

struct manager_state {
  static inline const char* name = "sluice.job_manager";
  std::shared_ptr<const physical_plan> base;  // the plan; `restore` of the first attempt
  coordinator_options co;
  job_options opts;
  std::vector<worker_info> workers;
  phase ph = phase::waiting;
  uint64_t attempt = 0;
  uint32_t restarts = 0;
  bool started_once = false;
  bool said_waiting = false;
  caf::actor coordinator;                // of the current attempt
  std::vector<uint32_t> attempt_workers;  // workers used by the current attempt
  std::vector<caf::actor> deployed;      // by task id
  std::size_t replies_missing = 0;
  std::string last_failure;
  std::string dir_token;  // written into the checkpoint directory; workers must read it back
  caf::response_promise promise;
  job_outcome outcome;
  std::optional<std::chrono::steady_clock::time_point> first_started;  // of attempt 1
};

using manager_self = caf::stateful_actor<manager_state>;

std::vector<uint32_t> live_workers(const manager_state& st) {
  std::vector<uint32_t> live;
  for (uint32_t w = 0; w < st.workers.size(); ++w)
    if (st.workers[w].alive)
      live.push_back(w);
  return live;
}

void end_job(manager_self* self, job_outcome out) {
  auto& st = self->state;
  st.ph = phase::over;
  out.restarts = st.restarts;
  if (st.first_started)  // the whole job, restarts included, not only the last attempt
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                *st.first_started)
                      .count();
  for (auto& w : st.workers) {
    if (w.alive)
      self->send(w.node, finished_atom::value, out.ok);
    else if (!st.base->options.state_dir.empty())  // lost: it could not clean up after itself
      remove_attempt_state_dirs(st.base->options.state_dir, w.name);
  }
  st.outcome = std::move(out);
  // Give the finished messages a moment on the wire before the promise ends the process.
  self->delayed_send(self, std::chrono::milliseconds(100), done_atom::value);
}

void maybe_start(manager_self* self);

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

/// The attempt failed: restart it from the latest checkpoint if the failure was a lost node.
void on_attempt_failed(manager_self* self, job_outcome out) {
  auto& st = self->state;
  bool lost = out.node_lost;
  for (auto w : st.attempt_workers)
    lost = lost || !st.workers[w].alive;
  if (!lost || !st.base->checkpointing() || st.restarts >= st.opts.max_restarts) {
    if (lost && !st.base->checkpointing())
      out.error += " (no --checkpoint-dir: a job without checkpoints cannot recover a lost worker)";
    else if (lost)
      out.error += " (gave up after " + std::to_string(st.restarts) + " restarts, --max-restarts)";
    end_job(self, std::move(out));
    return;
  }
  ++st.restarts;
  st.last_failure = out.error;
  say("attempt " + std::to_string(st.attempt) + " failed: " + out.error + "; cancelling it on " +
      "the surviving workers, then restarting from the latest completed checkpoint (restart " +
      std::to_string(st.restarts) + " of at most " + std::to_string(st.opts.max_restarts) + ")");
  st.ph = phase::cancelling;
  st.coordinator = nullptr;
  auto live = live_workers(st);
  st.replies_missing = live.size();
  if (live.empty()) {
    st.ph = phase::waiting;
    maybe_start(self);
    return;
  }
  auto timeout = std::chrono::milliseconds(2 * st.opts.node_timeout_ms);
  for (auto w : live)
    self->request(st.workers[w].node, timeout, cancel_atom::value, st.attempt)
        .then(
            [self](bool) {
              auto& st = self->state;
              if (--st.replies_missing == 0 && st.ph == phase::cancelling) {
                st.ph = phase::waiting;
                maybe_start(self);
              }
            },
            [self, w](caf::error& e) {
              // A worker that cannot confirm the cancel may still run old tasks: it is lost.
              auto& st = self->state;
              if (st.workers[w].alive) {
                st.workers[w].alive = false;
                say("worker " + st.workers[w].name + " did not confirm the cancel (" +
                    self->system().render(e) + "): dropped");
                self->send_exit(st.workers[w].node, caf::exit_reason::user_shutdown);
              }
              if (--st.replies_missing == 0 && st.ph == phase::cancelling) {
                st.ph = phase::waiting;
                maybe_start(self);
              }
            });
}

/// The attempt's plan: the base plan for the first, the latest valid checkpoint for a restart.
std::shared_ptr<const physical_plan> attempt_plan(manager_self* self, uint64_t& first_id,
                                                  std::string& error) {
  auto& st = self->state;
  first_id = st.co.first_checkpoint_id;
  if (!st.started_once || !st.base->checkpointing())
    return st.base;
  checkpoints::checkpoint_storage storage{st.base->options.checkpoint_dir};
  auto choice = checkpoints::choose_recovery(storage);
  for (const auto& w : choice.warnings)
    say("warning: " + w);
  if (!choice.error.empty()) {
    error = choice.error;
    return nullptr;
  }
  first_id = storage.max_id() + 1;
  auto plan = std::make_shared<physical_plan>(*st.base);
  plan->restore = choice.chosen ? std::make_shared<checkpoints::manifest>(std::move(*choice.chosen))
                                : nullptr;
  return plan;
}

void start_attempt(manager_self* self, const std::vector<uint32_t>& live,
                   const std::vector<uint32_t>& placement) {
  auto& st = self->state;
  uint64_t first_id = 1;
  std::string error;
  auto plan = attempt_plan(self, first_id, error);
  if (!plan) {
    job_outcome out;
    out.error = error;
    end_job(self, std::move(out));
    return;
  }
  ++st.attempt;
  st.started_once = true;
  if (!st.first_started)
    st.first_started = std::chrono::steady_clock::now();
  st.ph = phase::deploying;
  auto co = st.co;
  co.first_checkpoint_id = first_id;
  st.coordinator = spawn_coordinator(self->system(), plan, co);
  st.co.first_checkpoint_id = first_id;
  auto restore_id = plan->restore ? plan->restore->id : 0;
  say("attempt " + std::to_string(st.attempt) + ": " + std::to_string(plan->tasks.size()) +
      " tasks on " + std::to_string(live.size()) + " workers" +
      (restore_id ? ", restoring checkpoint " + std::to_string(restore_id) : std::string{}));
  std::vector<std::vector<uint32_t>> ids(live.size());
  for (uint32_t t = 0; t < placement.size(); ++t)
    ids[placement[t]].push_back(t);
  st.attempt_workers.clear();
  st.deployed.assign(plan->tasks.size(), caf::actor{});
  st.replies_missing = 0;
  for (std::size_t i = 0; i < live.size(); ++i)
    if (!ids[i].empty()) {
      st.attempt_workers.push_back(live[i]);
      ++st.replies_missing;
    }
  auto attempt = st.attempt;
  auto timeout = std::chrono::milliseconds(std::max(10000u, 4 * st.opts.node_timeout_ms));
  for (std::size_t i = 0; i < live.size(); ++i) {
    if (ids[i].empty())
      continue;
    auto w = live[i];
    self->request(st.workers[w].node, timeout, deploy_atom::value, attempt, restore_id, ids[i],
                  st.coordinator)
        .then(
            [self, attempt, task_ids = ids[i]](std::vector<caf::actor>& actors) {
              auto& st = self->state;
              if (attempt != st.attempt || st.ph != phase::deploying)
                return;
              for (std::size_t k = 0; k < task_ids.size() && k < actors.size(); ++k)
                st.deployed[task_ids[k]] = actors[k];
              if (--st.replies_missing > 0)
                return;
              st.ph = phase::running;
              self->request(st.coordinator, caf::infinite, run_atom::value, st.deployed)
                  .then([self, attempt](job_outcome& out) {
                    auto& st = self->state;
                    if (attempt != st.attempt)
                      return;
                    if (out.ok)
                      end_job(self, std::move(out));
                    else
                      on_attempt_failed(self, std::move(out));
                  },
                  [self, attempt](caf::error& e) {
                    job_outcome out;
                    out.error = "attempt coordinator failed: " + self->system().render(e);
                    if (attempt == self->state.attempt)
                      on_attempt_failed(self, std::move(out));
                  });
            },
            [self, attempt, w](caf::error& e) {
              auto& st = self->state;
              if (attempt != st.attempt || st.ph != phase::deploying)
                return;
              self->send_exit(st.coordinator, caf::exit_reason::user_shutdown);
              job_outcome out;
              // The worker answered with its own failure (say, a checkpoint it cannot read: not
              // a shared path) and a restart would meet it again; anything else (timeout, lost
              // link) is a lost node.
              out.node_lost = !(e.category() == caf::atom("system") &&
                                e.code() == static_cast<uint8_t>(caf::sec::runtime_error));
              out.error = "deploying on worker " + st.workers[w].name + " failed: " +
                          describe(self->system(), e);
              on_attempt_failed(self, std::move(out));
            });
  }
}

/// Starts an attempt once enough workers (and slots) are there.
void maybe_start(manager_self* self) {
  auto& st = self->state;
  if (st.ph != phase::waiting)
    return;
  auto live = live_workers(st);
  std::vector<uint32_t> slots;
  uint32_t total = 0;
  for (auto w : live) {
    slots.push_back(st.workers[w].slots);
    total += st.workers[w].slots;
  }
  auto need = slots_needed(*st.base);
  bool enough_workers = st.started_once || live.size() >= st.opts.min_workers;
  auto placement = enough_workers ? place_tasks(*st.base, slots) : std::vector<uint32_t>{};
  if (placement.empty() && !st.base->tasks.empty()) {
    if (!st.said_waiting) {
      st.said_waiting = true;
      say("waiting for workers: " + std::to_string(live.size()) + " joined (--min-workers " +
          std::to_string(st.opts.min_workers) + "), " + std::to_string(total) + " slots of the " +
          std::to_string(need) + " the job needs");
    }
    return;
  }
  st.said_waiting = false;
  start_attempt(self, live, placement);
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
