// The job manager's attempt life cycle (actors/job_manager_state.hpp): choose the plan of an
// attempt (the base plan first, the latest valid checkpoint on a restart), deploy its tasks on
// the placed workers, run it under an attempt coordinator, and on failure cancel it on every
// surviving worker before the next attempt starts.
#include <algorithm>

#include "actors/cluster.hpp"
#include "actors/job_manager_state.hpp"
#include "actors/messages.hpp"
#include "actors/network.hpp"
#include "actors/placement.hpp"
#include "checkpoints/storage.hpp"

namespace sluice::actors::manager {

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

namespace {

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

}  // namespace

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

}  // namespace sluice::actors::manager
