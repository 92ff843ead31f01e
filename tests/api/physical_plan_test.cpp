// actors/physical_plan.hpp: build_plan fuses forward nodes of equal parallelism into chain tasks,
// puts one partition task per upstream subtask on every other edge, wires both ends of every
// channel consistently, and rejects graphs the runtime cannot run.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "actors/physical_plan.hpp"
#include "sluice/ml.hpp"
#include "sluice/sluice.hpp"

namespace {

using sluice::actors::build_plan;
using sluice::actors::physical_plan;
using sluice::actors::plan_error;
using sluice::actors::plan_options;
using sluice::actors::task_kind;
using sluice::actors::task_spec;

using count_row = std::pair<int64_t, int64_t>;

plan_options options(uint32_t parallelism, uint32_t batch_size = 16) {
  plan_options o;
  o.parallelism = parallelism;
  o.batch_size = batch_size;
  return o;
}

auto numbers(sluice::environment& env) {
  return env.generate<int64_t>(100, [](uint64_t i) { return static_cast<int64_t>(i); });
}

int64_t parity(const int64_t& x) { return x % 2; }
int64_t identity(const int64_t& x) { return x; }

std::vector<const task_spec*> tasks_of(const physical_plan& p, task_kind k) {
  std::vector<const task_spec*> out;
  for (const auto& t : p.tasks)
    if (t.kind == k)
      out.push_back(&t);
  return out;
}

/// Tasks whose chain starts with logical node `head`, by subtask.
std::vector<const task_spec*> tasks_headed_by(const physical_plan& p, uint32_t head) {
  std::vector<const task_spec*> out;
  for (const auto& t : p.tasks)
    if (!t.chain.empty() && t.chain.front() == head)
      out.push_back(&t);
  return out;
}

/// Empty when both ends of every channel agree; otherwise the first disagreement.
std::string wiring_problem(const physical_plan& p) {
  for (const auto& t : p.tasks) {
    if (t.id >= p.tasks.size() || &p.tasks[t.id] != &t)
      return "task " + t.name + " has id " + std::to_string(t.id);
    for (uint32_t o = 0; o < t.outputs.size(); ++o) {
      auto to = t.outputs[o];
      if (to.task >= p.tasks.size() || to.index >= p.tasks[to.task].inputs.size())
        return t.name + " output " + std::to_string(o) + " points nowhere";
      auto back = p.tasks[to.task].inputs[to.index];
      if (back.task != t.id || back.index != o)
        return t.name + " output " + std::to_string(o) + " is not " + p.tasks[to.task].name +
               "'s input " + std::to_string(to.index);
    }
    for (uint32_t i = 0; i < t.inputs.size(); ++i) {
      auto from = t.inputs[i];
      if (from.task >= p.tasks.size() || from.index >= p.tasks[from.task].outputs.size())
        return t.name + " input " + std::to_string(i) + " points nowhere";
      auto back = p.tasks[from.task].outputs[from.index];
      if (back.task != t.id || back.index != i)
        return t.name + " input " + std::to_string(i) + " is not " + p.tasks[from.task].name +
               "'s output " + std::to_string(from.index);
    }
    if (t.outputs.empty() != !t.output_router)
      return t.name + " has outputs and router out of step";
  }
  return {};
}

std::vector<int64_t> drain(sluice::router& r, uint32_t target) {
  std::vector<int64_t> out;
  while (auto b = r.take_any(target))
    for (auto x : sluice::as_batch<int64_t>(*b).items)
      out.push_back(x);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(physical_plan_shape)

BOOST_AUTO_TEST_CASE(forward_nodes_of_equal_parallelism_fuse_into_one_chain_per_subtask) {
  sluice::environment env;
  numbers(env)
      .map([](const int64_t& x) { return x + 1; })
      .filter([](const int64_t& x) { return x > 0; })
      .collect(std::make_shared<sluice::collected<int64_t>>());
  auto plan = build_plan(env.graph(), options(2));
  BOOST_TEST_REQUIRE(plan.tasks.size() == 2u);
  for (uint32_t i = 0; i < 2; ++i) {
    const auto& t = plan.tasks[i];
    BOOST_TEST((t.kind == task_kind::source));
    BOOST_TEST(t.chain == std::vector<uint32_t>({0, 1, 2, 3}), boost::test_tools::per_element());
    BOOST_TEST(t.inputs.empty());
    BOOST_TEST(t.outputs.empty());
    BOOST_TEST(t.ctx.subtask == i);
    BOOST_TEST(t.ctx.parallelism == 2u);
    BOOST_TEST(t.ctx.uid == "generator-0");
    BOOST_TEST(t.name == "generator-0#" + std::to_string(i));
  }
}

BOOST_AUTO_TEST_CASE(a_node_that_starts_a_chain_gets_its_own_task_behind_a_forward_edge) {
  sluice::environment env;
  auto mapped = numbers(env).map([](const int64_t& x) { return x + 1; });
  env.graph().node(mapped.node_id()).starts_chain = true;  // as a model operator is
  mapped.collect(std::make_shared<sluice::collected<int64_t>>());
  auto plan = build_plan(env.graph(), options(1));
  // The source alone, the model-like node heading the rest, and between them the partition task
  // every chain break gets.
  BOOST_TEST_REQUIRE(plan.tasks.size() == 3u);
  BOOST_TEST(plan.tasks[0].chain == std::vector<uint32_t>({0}), boost::test_tools::per_element());
  BOOST_TEST(plan.tasks[1].chain == std::vector<uint32_t>({1, 2}), boost::test_tools::per_element());
  BOOST_TEST((plan.tasks[2].kind == task_kind::partition));
}

BOOST_AUTO_TEST_CASE(a_keyed_edge_gets_one_partition_task_per_upstream_subtask) {
  sluice::environment env;
  auto counts = numbers(env).parallelism(3).key_by(parity).count();
  counts.parallelism(2);
  counts.collect(std::make_shared<sluice::collected<count_row>>());
  auto plan = build_plan(env.graph(), options(2));
  BOOST_TEST(wiring_problem(plan) == "");

  auto sources = tasks_of(plan, task_kind::source);
  auto partitions = tasks_of(plan, task_kind::partition);
  auto chains = tasks_of(plan, task_kind::chain);
  BOOST_TEST_REQUIRE(sources.size() == 3u);
  BOOST_TEST_REQUIRE(partitions.size() == 3u);
  BOOST_TEST_REQUIRE(chains.size() == 2u);
  for (const auto* c : chains) {
    // The sink forwards from the aggregation at equal parallelism: one chain.
    BOOST_TEST(c->chain == std::vector<uint32_t>({1, 2}), boost::test_tools::per_element());
    BOOST_TEST(c->inputs.size() == 3u);  // one per partition task
    BOOST_TEST(c->outputs.empty());
  }
  std::set<uint32_t> fed_sources;
  for (const auto* p : partitions) {
    BOOST_TEST(p->chain.empty());
    BOOST_TEST_REQUIRE(p->inputs.size() == 1u);
    const auto& up = plan.tasks[p->inputs[0].task];
    BOOST_TEST((up.kind == task_kind::source));
    BOOST_TEST(up.outputs.size() == 1u);
    fed_sources.insert(up.id);
    BOOST_TEST(p->ctx.subtask == up.ctx.subtask);
    BOOST_TEST(p->ctx.uid == "generator-0.partition");
    BOOST_TEST(p->name == "partition(generator-0)#" + std::to_string(up.ctx.subtask));
    BOOST_TEST(p->outputs.size() == 2u);  // every downstream subtask
  }
  BOOST_TEST(fed_sources.size() == 3u);
}

BOOST_AUTO_TEST_CASE(the_partition_task_of_a_keyed_edge_routes_by_key_group) {
  sluice::environment env;
  numbers(env).parallelism(1).key_by(identity).count().parallelism(4).collect(
      std::make_shared<sluice::collected<count_row>>());
  auto plan = build_plan(env.graph(), options(4));
  auto partitions = tasks_of(plan, task_kind::partition);
  BOOST_TEST_REQUIRE(partitions.size() == 1u);
  auto r = partitions[0]->output_router(4, 128, 1000);
  sluice::batch<int64_t> in;
  for (int64_t i = 0; i < 200; ++i)
    in.items.push_back(i);
  r->route(in);
  std::size_t total = 0;
  for (uint32_t t = 0; t < 4; ++t)
    for (auto x : drain(*r, t)) {
      BOOST_TEST(t == sluice::subtask_of_key(x, 128, 4));
      ++total;
    }
  BOOST_TEST(total == 200u);
}

BOOST_AUTO_TEST_CASE(a_forward_edge_between_different_parallelisms_is_rebalanced) {
  sluice::environment env;
  auto m = numbers(env).parallelism(2).map([](const int64_t& x) { return x; });
  m.parallelism(3);
  m.collect(std::make_shared<sluice::collected<int64_t>>());
  auto plan = build_plan(env.graph(), options(3, 4));
  BOOST_TEST(wiring_problem(plan) == "");
  BOOST_TEST(tasks_headed_by(plan, 0).size() == 2u);
  auto maps = tasks_headed_by(plan, 1);
  BOOST_TEST_REQUIRE(maps.size() == 3u);
  BOOST_TEST(maps[0]->chain == std::vector<uint32_t>({1, 2}), boost::test_tools::per_element());
  auto partitions = tasks_of(plan, task_kind::partition);
  BOOST_TEST_REQUIRE(partitions.size() == 2u);
  // Rebalance: whole batches go round-robin over the three map subtasks.
  auto r = partitions[0]->output_router(3, 128, 4);
  for (int64_t b = 0; b < 3; ++b) {
    sluice::batch<int64_t> in{{b, b, b, b}};
    r->route(in);
  }
  for (uint32_t t = 0; t < 3; ++t)
    BOOST_TEST(drain(*r, t) == std::vector<int64_t>(4, t), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(rebalance_between_equal_parallelisms_breaks_the_chain) {
  sluice::environment env;
  numbers(env).rebalance().map([](const int64_t& x) { return x; }).collect(
      std::make_shared<sluice::collected<int64_t>>());
  auto plan = build_plan(env.graph(), options(2));
  BOOST_TEST(wiring_problem(plan) == "");
  BOOST_TEST(tasks_of(plan, task_kind::partition).size() == 2u);
  auto maps = tasks_headed_by(plan, 1);
  BOOST_TEST_REQUIRE(maps.size() == 2u);
  BOOST_TEST(maps[0]->inputs.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_model_heads_its_own_chain_so_parsing_and_training_run_side_by_side) {
  sluice::environment env;
  auto points = numbers(env).parallelism(1).map(
      [](const int64_t& x) { return sluice::ml::example{"", {static_cast<double>(x)}, 0}; });
  points.parallelism(1);
  auto model = sluice::ml::kmeans(env, {}, {}, "kmeans");
  model.train_on(points);
  model.output().collect(std::make_shared<sluice::collected<sluice::ml::model_output>>()).parallelism(1);
  auto plan = build_plan(env.graph(), options(2));
  BOOST_TEST(wiring_problem(plan) == "");
  auto sources = tasks_of(plan, task_kind::source);
  BOOST_TEST_REQUIRE(sources.size() == 1u);
  BOOST_TEST(sources[0]->chain == std::vector<uint32_t>({0, 1}), boost::test_tools::per_element());
  auto models = tasks_headed_by(plan, 2);
  BOOST_TEST_REQUIRE(models.size() == 1u);
  BOOST_TEST(models[0]->chain == std::vector<uint32_t>({2, 3}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_partition_task_of_a_broadcast_edge_copies_every_record_to_every_subtask) {
  sluice::environment env;
  numbers(env).parallelism(1).broadcast().collect(std::make_shared<sluice::collected<int64_t>>());
  auto plan = build_plan(env.graph(), options(3));
  auto partitions = tasks_of(plan, task_kind::partition);
  BOOST_TEST_REQUIRE(partitions.size() == 1u);
  BOOST_TEST(partitions[0]->outputs.size() == 3u);
  auto r = partitions[0]->output_router(3, 128, 16);
  sluice::batch<int64_t> in{{1, 2, 3}};
  r->route(in);
  for (uint32_t t = 0; t < 3; ++t)
    BOOST_TEST(drain(*r, t) == std::vector<int64_t>({1, 2, 3}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(stateless_operators_after_a_keyed_operator_join_its_chain) {
  sluice::environment env;
  numbers(env)
      .key_by(parity)
      .count()
      .map([](const count_row& r) { return r.second; })
      .filter([](const int64_t& x) { return x > 0; })
      .collect(std::make_shared<sluice::collected<int64_t>>());
  auto plan = build_plan(env.graph(), options(2));
  auto chains = tasks_of(plan, task_kind::chain);
  BOOST_TEST_REQUIRE(chains.size() == 2u);
  BOOST_TEST(chains[0]->chain == std::vector<uint32_t>({1, 2, 3, 4}),
             boost::test_tools::per_element());
  BOOST_TEST(chains[0]->ctx.uid == "aggregate-1");
}

BOOST_AUTO_TEST_CASE(both_ends_of_every_channel_agree_in_a_mixed_pipeline) {
  sluice::environment env;
  numbers(env)
      .parallelism(3)
      .map([](const int64_t& x) { return x * 3; })
      .parallelism(3)  // chains into the source
      .key_by(parity)
      .count()
      .parallelism(2)
      .map([](const count_row& r) { return r.second; })
      .parallelism(4)
      .rebalance()
      .filter([](const int64_t&) { return true; })
      .parallelism(1)
      .broadcast()
      .collect(std::make_shared<sluice::collected<int64_t>>());
  auto plan = build_plan(env.graph(), options(2));
  BOOST_TEST(wiring_problem(plan) == "");
  // Chains: sources 3, count 2, map 4, filter 1, sink 2; partitions behind each but the sink's.
  BOOST_TEST(tasks_of(plan, task_kind::source).size() == 3u);
  BOOST_TEST(tasks_of(plan, task_kind::chain).size() == 9u);
  BOOST_TEST(tasks_of(plan, task_kind::partition).size() == 10u);
  for (const auto& t : plan.tasks) {
    if (t.kind != task_kind::source)
      BOOST_TEST(!t.inputs.empty(), t.name << " has no input");
    bool ends_in_sink = !t.chain.empty() &&
                        env.graph().node(t.chain.back()).kind == sluice::node_kind::sink;
    BOOST_TEST(t.outputs.empty() == ends_in_sink, t.name);
  }
}

BOOST_AUTO_TEST_CASE(nodes_without_parallelism_take_the_default_and_the_console_takes_one) {
  sluice::environment env;
  numbers(env).parallelism(5).map([](const int64_t& x) { return x; }).to_console();
  auto plan = build_plan(env.graph(), options(3));
  BOOST_TEST(plan.parallelism == std::vector<uint32_t>({5, 3, 1}), boost::test_tools::per_element());
  BOOST_TEST(tasks_headed_by(plan, 2).size() == 1u);
}

BOOST_AUTO_TEST_CASE(task_contexts_carry_subtask_parallelism_and_the_plan_options) {
  sluice::environment env;
  numbers(env).key_by(parity).count().collect(std::make_shared<sluice::collected<count_row>>());
  plan_options o = options(3, 77);
  o.max_parallelism = 64;
  auto plan = build_plan(env.graph(), o);
  std::set<uint32_t> subtasks;
  for (const auto* t : tasks_headed_by(plan, 1)) {
    subtasks.insert(t->ctx.subtask);
    BOOST_TEST(t->ctx.parallelism == 3u);
    BOOST_TEST(t->ctx.max_parallelism == 64u);
    BOOST_TEST(t->ctx.batch_size == 77u);
  }
  BOOST_TEST(subtasks == std::set<uint32_t>({0, 1, 2}), boost::test_tools::per_element());
  BOOST_TEST(plan.options.batch_size == 77u);
  BOOST_TEST(plan.graph == &env.graph());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(physical_plan_rejects)

BOOST_AUTO_TEST_CASE(an_operator_feeding_two_operators) {
  sluice::environment env;
  auto s = numbers(env).uid("numbers");
  s.map([](const int64_t& x) { return x; }).collect(std::make_shared<sluice::collected<int64_t>>());
  s.filter([](const int64_t&) { return true; }).collect(
      std::make_shared<sluice::collected<int64_t>>());
  try {
    build_plan(env.graph(), options(1));
    BOOST_FAIL("expected plan_error");
  } catch (const plan_error& e) {
    BOOST_TEST(std::string{e.what()}.find("'numbers'") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(a_parallelism_above_max_parallelism) {
  sluice::environment env;
  auto m = numbers(env).map([](const int64_t& x) { return x; }, "wide");
  m.parallelism(129);
  m.collect(std::make_shared<sluice::collected<int64_t>>());
  try {
    build_plan(env.graph(), options(1));
    BOOST_FAIL("expected plan_error");
  } catch (const plan_error& e) {
    BOOST_TEST(std::string{e.what()}.find("'wide'") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(a_default_parallelism_above_max_parallelism) {
  // The default parallelism (e.g. a machine's core count) may not exceed max_parallelism either:
  // subtasks beyond it would own no key group.
  sluice::environment env;
  numbers(env).map([](const int64_t& x) { return x; }).collect(
      std::make_shared<sluice::collected<int64_t>>());
  plan_options o = options(8);
  o.max_parallelism = 4;
  BOOST_CHECK_THROW(build_plan(env.graph(), o), plan_error);
}

BOOST_AUTO_TEST_CASE(nothing_when_parallelism_equals_max_parallelism) {
  sluice::environment env;
  numbers(env).parallelism(4).key_by(parity).count().parallelism(4).collect(
      std::make_shared<sluice::collected<count_row>>());
  plan_options o = options(1);
  o.max_parallelism = 4;
  BOOST_CHECK_NO_THROW(build_plan(env.graph(), o));
}

BOOST_AUTO_TEST_CASE(operators_downstream_of_a_sink) {
  sluice::environment env;
  numbers(env).collect(std::make_shared<sluice::collected<int64_t>>()).uid("out").map(
      [](const int64_t& x) { return x; });
  try {
    build_plan(env.graph(), options(1));
    BOOST_FAIL("expected plan_error");
  } catch (const plan_error& e) {
    BOOST_TEST(std::string{e.what()}.find("'out'") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(an_empty_graph) {
  sluice::job_graph g;
  BOOST_CHECK_THROW(build_plan(g, options(1)), plan_error);
}

BOOST_AUTO_TEST_CASE(zero_parallelism_batch_size_or_credits) {
  sluice::environment env;
  numbers(env).collect(std::make_shared<sluice::collected<int64_t>>());
  for (int field = 0; field < 4; ++field) {
    plan_options o = options(1);
    (field == 0 ? o.parallelism : field == 1 ? o.max_parallelism
                                 : field == 2 ? o.batch_size
                                              : o.credits) = 0;
    BOOST_CHECK_THROW(build_plan(env.graph(), o), plan_error);
  }
}

BOOST_AUTO_TEST_CASE(execute_reports_a_plan_error_instead_of_throwing) {
  sluice::job_options jo;
  jo.parallelism = 1;
  sluice::environment env{jo};
  auto s = numbers(env).uid("numbers");
  s.collect(std::make_shared<sluice::collected<int64_t>>());
  s.collect(std::make_shared<sluice::collected<int64_t>>());
  auto r = env.execute();
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.error.find("'numbers'") != std::string::npos, r.error);
}

BOOST_AUTO_TEST_SUITE_END()
