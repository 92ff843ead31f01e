#include "actors/coordinator.hpp"

#include <caf/all.hpp>

#include "actors/progress.hpp"
#include "actors/task_actor.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<const sluice::actors::physical_plan>)

namespace sluice::actors {

namespace {

constexpr auto tick_period = std::chrono::milliseconds(200);

struct coordinator_state {
  static inline const char* name = "sluice.coordinator";
  std::shared_ptr<const physical_plan> plan;
  coordinator_options opts;
  std::vector<caf::actor> tasks;
  std::vector<bool> done;
  std::size_t done_count = 0;
  job_outcome outcome;
  caf::response_promise promise;
  std::chrono::steady_clock::time_point started;
  std::unique_ptr<progress_printer> progress;
  bool stop_sent = false;
  bool over = false;
};

using coordinator_self = caf::stateful_actor<coordinator_state>;

double elapsed(const coordinator_state& st) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - st.started).count();
}

void finish(coordinator_self* self, bool ok, std::string error) {
  auto& st = self->state;
  if (st.over)
    return;
  st.over = true;
  st.outcome.ok = ok;
  st.outcome.error = std::move(error);
  st.outcome.seconds = elapsed(st);
  if (st.progress)
    st.progress->finish(st.outcome.tasks, st.outcome.seconds);
  if (!ok)
    for (std::size_t i = 0; i < st.tasks.size(); ++i)
      if (!st.done[i])
        self->send_exit(st.tasks[i], caf::exit_reason::user_shutdown);
  st.promise.deliver(st.outcome);
  self->quit();
}

void deploy(coordinator_self* self) {
  auto& st = self->state;
  st.started = std::chrono::steady_clock::now();
  auto me = caf::actor_cast<caf::actor>(self);
  for (const auto& t : st.plan->tasks) {
    auto a = spawn_task(self->system(), st.plan, t.id, me);
    self->monitor(a);
    st.tasks.push_back(a);
  }
  st.done.assign(st.tasks.size(), false);
  st.outcome.tasks.resize(st.tasks.size());
  for (auto& a : st.tasks)
    self->send(a, wire_atom::value, st.tasks);
  for (auto& a : st.tasks)
    self->send(a, start_atom::value);
  self->delayed_send(self, tick_period, report_atom::value);
}

}  // namespace

caf::actor spawn_coordinator(caf::actor_system& sys, std::shared_ptr<const physical_plan> plan,
                             coordinator_options opts) {
  return sys.spawn([plan, opts](coordinator_self* self) -> caf::behavior {
    auto& st = self->state;
    st.plan = plan;
    st.opts = opts;
    if (opts.progress)
      st.progress = std::make_unique<progress_printer>(*plan);
    self->set_down_handler([self](const caf::down_msg& dm) {
      auto& st = self->state;
      for (std::size_t i = 0; i < st.tasks.size(); ++i)
        if (st.tasks[i].address() == dm.source && !st.done[i])
          finish(self, false,
                 "task " + st.plan->tasks[i].name + " stopped unexpectedly: " + to_string(dm.reason));
    });
    return {
      [self](run_atom) -> caf::result<job_outcome> {
        auto& st = self->state;
        st.promise = self->make_response_promise();
        deploy(self);
        if (st.plan->tasks.empty())
          finish(self, true, {});
        return st.promise;
      },
      [self](done_atom, uint32_t task, task_metrics& m) {
        auto& st = self->state;
        if (st.done.at(task))
          return;
        st.done[task] = true;
        st.outcome.tasks[task] = std::move(m);
        if (++st.done_count == st.tasks.size())
          finish(self, true, {});
      },
      [self](fail_atom, uint32_t, const std::string& reason) { finish(self, false, reason); },
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
            if (st.plan->tasks[i].kind == task_kind::source)
              self->send(st.tasks[i], stop_atom::value);
        }
        if (st.progress)
          st.progress->tick(st.outcome.tasks, elapsed(st));
        self->delayed_send(self, tick_period, report_atom::value);
      },
    };
  });
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
