// actors/task_actor.hpp: the actor shell around a task_runner. Messages from different senders
// may arrive in any order, so a task can hear end-of-stream from an upstream task before the
// coordinator's start; the shell must still open its operators before it finishes them. The test
// plays the coordinator and the upstream task from one scoped actor to fix that order.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "actors/physical_plan.hpp"
#include "actors/task_actor.hpp"
#include "sluice/sluice.hpp"

namespace {

using namespace sluice::actors;

/// What a probe operator saw of its own life cycle.
struct life {
  std::atomic<bool> opened{false};
  std::atomic<bool> finished{false};
  std::atomic<bool> finished_unopened{false};
};

class probe_sink final : public sluice::operator_logic {
 public:
  explicit probe_sink(std::shared_ptr<life> l) : life_(std::move(l)) {}
  void open(const sluice::task_context&) override { life_->opened = true; }
  void process(sluice::batch_base&, sluice::emitter&) override {}
  void finish(sluice::emitter&) override {
    if (!life_->opened)
      life_->finished_unopened = true;
    life_->finished = true;
  }

 private:
  std::shared_ptr<life> life_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(task_actor)

// When an upstream task ends at once (e.g. a generator subtask with no records) its end-of-stream
// can overtake the coordinator's start: the task must hold it until start opened its operators.
BOOST_AUTO_TEST_CASE(a_task_opens_its_operators_before_finishing_when_end_of_stream_overtakes_start) {
  sluice::job_options jo;
  jo.parallelism = 1;
  sluice::environment env{jo};
  auto seen = std::make_shared<life>();
  env.generate<int64_t>(0, [](uint64_t i) { return static_cast<int64_t>(i); })
      .rebalance()
      .to([seen](const sluice::task_context&) -> sluice::operator_ptr {
        return std::make_unique<probe_sink>(seen);
      })
      .uid("probe");
  plan_options po;
  auto plan = std::make_shared<const physical_plan>(build_plan(env.graph(), po));
  uint32_t sink_task = 0;
  for (const auto& t : plan->tasks)
    if (t.ctx.uid == "probe")
      sink_task = t.id;
  BOOST_TEST_REQUIRE(plan->tasks[sink_task].inputs.size() == 1u);

  caf::actor_system_config cfg;
  register_wire_types(cfg);
  cfg.set("logger.console", caf::atom("none"));
  caf::actor_system sys{cfg};
  {
    caf::scoped_actor self{sys};
    auto me = caf::actor_cast<caf::actor>(self);
    // Every neighbour is a hole that drops what it is sent (credits, here).
    auto hole = sys.spawn([](caf::event_based_actor* a) -> caf::behavior {
      a->set_default_handler(caf::drop);
      return {[](stop_atom) {}};
    });
    auto task = spawn_task(sys, plan, sink_task, me);
    std::vector<caf::actor> actors(plan->tasks.size(), hole);
    actors[sink_task] = task;
    self->send(task, wire_atom::value, actors);
    self->send(task, eos_atom::value, uint32_t{0});  // the upstream ended ...
    self->send(task, start_atom::value);             // ... before the coordinator's start arrived
    bool done = false;
    self->receive_while([&] { return !done; })(
        [&](done_atom, uint32_t, task_metrics&) { done = true; },
        [&](fail_atom, uint32_t, const std::string& reason) {
          BOOST_FAIL("task failed: " << reason);
        },
        [&](metric_atom, uint32_t, task_metrics&) {},
        caf::after(std::chrono::seconds(30)) >> [&] { BOOST_FAIL("task never reported done"); });
    BOOST_TEST(seen->finished.load());
    BOOST_TEST(!seen->finished_unopened.load(), "finish() ran on an operator never opened");
    self->send_exit(hole, caf::exit_reason::user_shutdown);
    self->send_exit(task, caf::exit_reason::user_shutdown);
  }
}

BOOST_AUTO_TEST_SUITE_END()
