#include "actors/coordinator.hpp"

#include <caf/all.hpp>

#include <cstdio>

#include "actors/progress.hpp"
#include "actors/task_actor.hpp"
#include "checkpoints/fault_points.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<const sluice::actors::physical_plan>)

namespace sluice::actors {

namespace {

constexpr auto tick_period = std::chrono::milliseconds(200);
using ckpt_tick_atom = caf::atom_constant<caf::atom("ckpt_tick")>;

struct coordinator_state {
  static inline const char* name = "sluice.coordinator";
  std::shared_ptr<const physical_plan> plan;
  coordinator_options opts;
  std::vector<caf::actor> tasks;
  std::vector<bool> done;
  std::vector<bool> exited;
  std::size_t done_count = 0;
  std::size_t exit_count = 0;
  job_outcome outcome;
  caf::response_promise promise;
  std::chrono::steady_clock::time_point started;
  std::unique_ptr<progress_printer> progress;
  std::optional<checkpoints::checkpoint_coordinator> checkpoints;
  bool final_triggered = false;
  bool final_completed = false;
  bool stop_sent = false;
  bool over = false;
};

using coordinator_self = caf::stateful_actor<coordinator_state>;

double elapsed(const coordinator_state& st) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - st.started).count();
}

void warn(const std::string& line) { std::fprintf(stderr, "sluice: warning: %s\n", line.c_str()); }

void finish(coordinator_self* self, bool ok, std::string error) {
  auto& st = self->state;
  if (st.over)
    return;
  st.over = true;
  st.outcome.ok = ok;
  st.outcome.error = std::move(error);
  st.outcome.seconds = elapsed(st);
  if (st.checkpoints) {
    st.outcome.checkpoints_completed = st.checkpoints->completed();
    st.outcome.checkpoints_failed = st.checkpoints->failed();
    if (const auto& m = st.checkpoints->last_completed()) {
      st.outcome.last_checkpoint_id = m->id;
      st.outcome.last_checkpoint_ms = m->duration_ms;
      st.outcome.last_checkpoint_bytes = m->state_bytes();
    }
  }
  if (st.progress)
    st.progress->finish(st.outcome.tasks, st.outcome.seconds);
  if (!ok)
    for (std::size_t i = 0; i < st.tasks.size(); ++i)
      if (!st.exited[i])
        self->send_exit(st.tasks[i], caf::exit_reason::user_shutdown);
  st.promise.deliver(st.outcome);
  self->quit();
}

/// Asks every task for its part of the pending checkpoint: sources get a trigger (they emit the
/// barrier), finished tasks a direct snapshot request; the others snapshot when barriers align.
void start_checkpoint(coordinator_self* self, uint64_t id) {
  auto& st = self->state;
  for (std::size_t i = 0; i < st.tasks.size(); ++i) {
    if (st.done[i])
      self->send(st.tasks[i], snapshot_atom::value, id);
    else if (st.plan->tasks[i].kind == task_kind::source)
      self->send(st.tasks[i], trigger_atom::value, id);
  }
}

void trigger_final_if_ready(coordinator_self* self) {
  auto& st = self->state;
  if (!st.checkpoints || st.final_triggered || st.done_count < st.tasks.size())
    return;
  if (auto id = st.checkpoints->trigger(true)) {
    st.final_triggered = true;
    start_checkpoint(self, *id);
  }
}

void end_if_all_exited(coordinator_self* self) {
  auto& st = self->state;
  if (st.exit_count == st.tasks.size() && (!st.checkpoints || st.final_completed))
    finish(self, true, {});
}

void on_completed_checkpoint(coordinator_self* self) {
  auto& st = self->state;
  std::optional<checkpoints::manifest> m;
  try {
    if (st.checkpoints->pending() && st.checkpoints->pending()->fully_acknowledged())
      checkpoints::fault_point("coordinator_before_manifest");
    m = st.checkpoints->try_complete();
  } catch (const std::exception& e) {
    warn(std::string{"checkpoint could not be completed: "} + e.what());
    trigger_final_if_ready(self);
    return;
  }
  if (!m)
    return;
  checkpoints::fault_point("coordinator_after_manifest");
  for (std::size_t i = 0; i < st.tasks.size(); ++i)
    if (!st.exited[i])
      self->send(st.tasks[i], complete_atom::value, m->id, m->final);
  if (m->final) {
    st.final_completed = true;
    end_if_all_exited(self);
  } else {
    trigger_final_if_ready(self);
  }
}

/// Wires and starts the tasks: `spawned` by task id (spawned by workers), or none to spawn every
/// task in this process.
void deploy(coordinator_self* self, std::vector<caf::actor> spawned) {
  auto& st = self->state;
  st.started = std::chrono::steady_clock::now();
  auto me = caf::actor_cast<caf::actor>(self);
  if (spawned.empty())
    for (const auto& t : st.plan->tasks)
      spawned.push_back(spawn_task(self->system(), st.plan, t.id, me));
  st.tasks = std::move(spawned);
  for (auto& a : st.tasks)
    self->monitor(a);
  st.done.assign(st.tasks.size(), false);
  st.exited.assign(st.tasks.size(), false);
  st.outcome.tasks.resize(st.tasks.size());
  if (st.plan->checkpointing()) {
    const auto& o = st.plan->options;
    st.checkpoints.emplace(checkpoints::checkpoint_storage{o.checkpoint_dir}, st.plan->fingerprint(),
                           o.max_parallelism, st.tasks.size(), st.opts.first_checkpoint_id,
                           st.opts.checkpoints);
    if (st.opts.checkpoints.interval_ms > 0)
      self->delayed_send(self, std::chrono::milliseconds(st.opts.checkpoints.interval_ms),
                         ckpt_tick_atom::value);
  }
  for (auto& a : st.tasks)
    self->send(a, wire_atom::value, st.tasks);
  for (auto& a : st.tasks)
    self->send(a, start_atom::value);
  self->delayed_send(self, tick_period, report_atom::value);
}

caf::behavior coordinator_behavior(coordinator_self* self, std::shared_ptr<const physical_plan> plan,
                                   coordinator_options opts) {
  auto& st = self->state;
  st.plan = plan;
  st.opts = opts;
  if (opts.progress)
    st.progress = std::make_unique<progress_printer>(*plan);
  self->set_down_handler([self](const caf::down_msg& dm) {
    auto& st = self->state;
    for (std::size_t i = 0; i < st.tasks.size(); ++i) {
      if (st.tasks[i].address() != dm.source || st.exited[i])
        continue;
      st.exited[i] = true;
      ++st.exit_count;
      if (dm.reason == caf::exit_reason::remote_link_unreachable)
        st.outcome.node_lost = true;
      if (!st.done[i] || dm.reason)
        finish(self, false,
               "task " + st.plan->tasks[i].name + " stopped unexpectedly: " + to_string(dm.reason));
      else
        end_if_all_exited(self);
    }
  });
  auto run = [self](std::vector<caf::actor> spawned) -> caf::result<job_outcome> {
    auto& st = self->state;
    st.promise = self->make_response_promise();
    if (!spawned.empty() && spawned.size() != st.plan->tasks.size()) {
      finish(self, false, "deploy gave " + std::to_string(spawned.size()) + " tasks, the plan has " +
                              std::to_string(st.plan->tasks.size()));
      return st.promise;
    }
    deploy(self, std::move(spawned));
    if (st.plan->tasks.empty())
      finish(self, true, {});
    return st.promise;
  };
  return {
    [run](run_atom) { return run({}); },
    [run](run_atom, std::vector<caf::actor>& tasks) { return run(std::move(tasks)); },
    [self](abort_atom, const std::string& reason) {
      self->state.outcome.node_lost = true;
      finish(self, false, reason);
    },
    [self](done_atom, uint32_t task, task_metrics& m) {
      auto& st = self->state;
      if (st.done.at(task))
        return;
      st.done[task] = true;
      ++st.done_count;
      st.outcome.tasks[task] = std::move(m);
      if (st.checkpoints) {
        // A task that finished before a pending checkpoint reached it gives its final state.
        if (const auto* p = st.checkpoints->pending(); p && !p->acknowledged(task))
          self->send(st.tasks[task], snapshot_atom::value, p->id());
        trigger_final_if_ready(self);
      }
    },
    [self](fail_atom, uint32_t, const std::string& reason) { finish(self, false, reason); },
    [self](ack_atom, uint64_t id, uint32_t task, checkpoints::task_ack& ack) {
      auto& st = self->state;
      if (!st.checkpoints)
        return;
      if (st.checkpoints->acknowledge(id, task, std::move(ack)) == checkpoints::ack_result::success)
        on_completed_checkpoint(self);
    },
    [self](decline_atom, uint64_t id, uint32_t, const std::string& reason) {
      auto& st = self->state;
      if (!st.checkpoints)
        return;
      if (auto f = st.checkpoints->decline(id, reason)) {
        warn("checkpoint " + std::to_string(f->id) + " aborted: " + f->reason);
        if (st.final_triggered)  // the final checkpoint must happen: try again
          finish(self, false, "the final checkpoint failed: " + f->reason);
        trigger_final_if_ready(self);
      }
    },
    [self](ckpt_tick_atom) {
      auto& st = self->state;
      if (st.over || st.final_triggered)
        return;
      if (auto f = st.checkpoints->expire())
        warn("checkpoint " + std::to_string(f->id) + " aborted: " + f->reason);
      if (st.done_count < st.tasks.size())
        if (auto id = st.checkpoints->trigger())
          start_checkpoint(self, *id);
      self->delayed_send(self, std::chrono::milliseconds(st.opts.checkpoints.interval_ms),
                         ckpt_tick_atom::value);
    },
    [self](metric_atom, uint32_t task, task_metrics& m) {
      auto& st = self->state;
      if (!st.done.at(task))
        st.outcome.tasks[task] = std::move(m);
    },
    [self](report_atom) {
      auto& st = self->state;
      if (st.over)
        return;
      if (st.opts.stop_flag && st.opts.stop_flag->load() && !st.stop_sent) {
        st.stop_sent = true;
        for (std::size_t i = 0; i < st.tasks.size(); ++i)
          if (st.plan->tasks[i].kind == task_kind::source && !st.done[i])
            self->send(st.tasks[i], stop_atom::value);
      }
      if (st.progress)
        st.progress->tick(st.outcome.tasks, elapsed(st));
      self->delayed_send(self, tick_period, report_atom::value);
    },
  };
}

}  // namespace

caf::actor spawn_coordinator(caf::actor_system& sys, std::shared_ptr<const physical_plan> plan,
                             coordinator_options opts) {
  return sys.spawn(coordinator_behavior, std::move(plan), opts);
}

job_outcome run_plan(caf::actor_system& sys, std::shared_ptr<const physical_plan> plan,
                     coordinator_options opts) {
  auto coord = spawn_coordinator(sys, std::move(plan), opts);
  caf::scoped_actor self{sys};
  job_outcome out;
  self->request(coord, caf::infinite, run_atom::value)
      .receive([&](job_outcome& o) { out = std::move(o); },
               [&](caf::error& e) {
                 out.ok = false;
                 out.error = "job coordinator failed: " + sys.render(e);
               });
  return out;
}

}  // namespace sluice::actors
