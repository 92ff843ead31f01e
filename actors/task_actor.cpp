#include "actors/task_actor.hpp"

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "checkpoints/lease.hpp"
#include "actors/task_runner.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<const sluice::actors::physical_plan>)

namespace sluice::actors {

namespace {

constexpr auto idle_poll_pause = std::chrono::milliseconds(5);
constexpr auto report_period = std::chrono::milliseconds(500);

struct task_state;
using task_self = caf::stateful_actor<task_state>;

/// transport over CAF messages to the actors wired in by the coordinator.
class actor_transport final : public transport {
 public:
  actor_transport(caf::event_based_actor* self, const task_spec& spec) : self_(self), spec_(spec) {}
  void wire(std::vector<caf::actor> by_task) { actors_ = std::move(by_task); }

  void send_batch(uint32_t output, batch_ptr b) override {
    const auto& to = spec_.outputs[output];
    self_->send(actors_[to.task], data_atom::value, to.index, batch_handle{std::move(b), {}});
  }
  void send_epoch(uint32_t output, uint64_t epoch) override {
    const auto& to = spec_.outputs[output];
    self_->send(actors_[to.task], epoch_atom::value, to.index, epoch);
  }
  void send_eos(uint32_t output) override {
    const auto& to = spec_.outputs[output];
    self_->send(actors_[to.task], eos_atom::value, to.index);
  }
  void grant_credit(uint32_t input, uint32_t n) override {
    const auto& from = spec_.inputs[input];
    self_->send(actors_[from.task], credit_atom::value, from.index, n);
  }
  void send_barrier(uint32_t output, uint64_t id) override {
    const auto& to = spec_.outputs[output];
    self_->send(actors_[to.task], barrier_atom::value, to.index, id);
  }
  void acknowledge(uint64_t id, checkpoints::task_ack ack) override {
    self_->send(coordinator_, ack_atom::value, id, spec_.id, std::move(ack));
  }
  void decline(uint64_t id, std::string reason) override {
    self_->send(coordinator_, decline_atom::value, id, spec_.id, std::move(reason));
  }
  void set_coordinator(caf::actor c) { coordinator_ = std::move(c); }

 private:
  caf::event_based_actor* self_;
  const task_spec& spec_;
  std::vector<caf::actor> actors_;
  caf::actor coordinator_;
};

struct task_state {
  static inline const char* name = "sluice.task";
  std::shared_ptr<const physical_plan> plan;
  std::unique_ptr<actor_transport> net;
  std::unique_ptr<task_runner> runner;
  caf::actor coordinator;
  uint32_t task_id = 0;
  bool poll_pending = false;
  bool done_sent = false;
};

void schedule_poll(task_self* self, bool later) {
  auto& st = self->state;
  if (st.poll_pending)
    return;
  st.poll_pending = true;
  if (later)
    self->delayed_send(self, idle_poll_pause, poll_atom::value);
  else
    self->send(self, poll_atom::value);
}

/// Reports completion once. Without checkpoints the actor then quits; with them it stays to
/// give its final state and commit when the job's final checkpoint completes.
void check_done(task_self* self) {
  auto& st = self->state;
  if (!st.runner || !st.runner->finished() || st.done_sent)
    return;
  st.done_sent = true;
  self->send(st.coordinator, done_atom::value, st.runner->spec().id, st.runner->metrics());
  if (!st.plan->checkpointing())
    self->quit();
}

/// Runs `f` and turns a failure into a report to the coordinator and an abnormal exit.
template <class F>
void guarded(task_self* self, F&& f) {
  if (checkpoints::lease_expired()) {
    // Cut off from the coordinator for longer than the node timeout: it has declared this
    // worker dead and may run these subtasks elsewhere, so act no more (fencing).
    self->quit(caf::exit_reason::remote_link_unreachable);
    return;
  }
  try {
    f();
    check_done(self);
  } catch (const std::exception& e) {
    auto& st = self->state;
    self->send(st.coordinator, fail_atom::value, st.task_id, std::string{e.what()});
    self->quit(caf::make_error(caf::sec::runtime_error, std::string{e.what()}));
  }
}

void start_timers(task_self* self) {
  auto periods = self->state.runner->timer_periods();
  for (std::size_t op = 0; op < periods.size(); ++op)
    if (periods[op].count() > 0)
      self->delayed_send(self, periods[op], timer_atom::value, static_cast<uint64_t>(op));
}

caf::behavior running_behavior(task_self* self, std::chrono::milliseconds linger);

caf::behavior task_behavior(task_self* self, std::shared_ptr<const physical_plan> plan,
                            uint32_t task_id, caf::actor coordinator) {
  auto& st = self->state;
  st.plan = plan;
  st.coordinator = coordinator;
  st.task_id = task_id;
  st.net = std::make_unique<actor_transport>(self, plan->tasks.at(task_id));
  st.net->set_coordinator(coordinator);
  // Constructing the runner runs user factories; a throw there is reported like any failure.
  guarded(self, [&] { st.runner = std::make_unique<task_runner>(*plan, task_id, *st.net); });
  auto linger = std::chrono::milliseconds(plan->options.linger_ms);
  // Until `start` opened the operators, data from fast neighbours waits in the mailbox.
  self->set_default_handler(caf::skip);
  return {
    [=](wire_atom, const std::vector<caf::actor>& actors) {
      self->state.net->wire(actors);
    },
    [=](start_atom) {
      guarded(self, [&] {
        self->state.runner->start();
        if (self->state.runner->is_source())
          schedule_poll(self, false);
      });
      start_timers(self);
      self->delayed_send(self, linger, linger_atom::value);
      self->delayed_send(self, report_period, report_atom::value);
      self->set_default_handler(caf::print_and_drop);
      self->become(running_behavior(self, linger));
    },
  };
}

caf::behavior running_behavior(task_self* self, std::chrono::milliseconds linger) {
  return {
    [=](poll_atom) {
      self->state.poll_pending = false;
      guarded(self, [&] {
        switch (self->state.runner->poll()) {
          case poll_next::now: schedule_poll(self, false); break;
          case poll_next::later: schedule_poll(self, true); break;
          case poll_next::blocked:
          case poll_next::never: break;
        }
      });
    },
    [=](data_atom, uint32_t input, batch_handle& h) {
      guarded(self, [&] { self->state.runner->on_batch(input, std::move(h.ptr)); });
    },
    [=](epoch_atom, uint32_t input, uint64_t epoch) {
      guarded(self, [&] { self->state.runner->on_epoch(input, epoch); });
    },
    [=](eos_atom, uint32_t input) {
      guarded(self, [&] { self->state.runner->on_eos(input); });
    },
    [=](credit_atom, uint32_t output, uint32_t n) {
      guarded(self, [&] {
        auto& r = *self->state.runner;
        r.on_credit(output, n);
        if (r.is_source() && !r.output_blocked() && !r.finished())
          schedule_poll(self, false);
      });
    },
    [=](linger_atom) {
      guarded(self, [&] { self->state.runner->on_linger(); });
      self->delayed_send(self, linger, linger_atom::value);
    },
    [=](timer_atom, uint64_t op) {
      guarded(self, [&] { self->state.runner->on_timer(op); });
      auto period = self->state.runner->timer_periods().at(op);
      self->delayed_send(self, period, timer_atom::value, op);
    },
    [=](report_atom) {
      auto& r = *self->state.runner;
      self->send(self->state.coordinator, metric_atom::value, r.spec().id, r.metrics());
      self->delayed_send(self, report_period, report_atom::value);
    },
    [=](trigger_atom, uint64_t id) {
      guarded(self, [&] { self->state.runner->on_trigger(id); });
    },
    [=](barrier_atom, uint32_t input, uint64_t id) {
      guarded(self, [&] { self->state.runner->on_barrier(input, id); });
    },
    [=](snapshot_atom, uint64_t id) {
      guarded(self, [&] { self->state.runner->on_snapshot_request(id); });
    },
    [=](complete_atom, uint64_t id, bool final) {
      guarded(self, [&] { self->state.runner->on_checkpoint_complete(id, final); });
      if (final && self->state.done_sent)
        self->quit();
    },
    [=](stop_atom) {
      self->state.runner->request_stop();
      schedule_poll(self, false);
    },
  };
}

}  // namespace

caf::actor spawn_task(caf::actor_system& sys, std::shared_ptr<const physical_plan> plan,
                      uint32_t task_id, const caf::actor& coordinator) {
  return sys.spawn(task_behavior, std::move(plan), task_id, coordinator);
}

}  // namespace sluice::actors
