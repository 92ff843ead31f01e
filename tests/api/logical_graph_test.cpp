// sluice/stream.hpp + sluice/job_graph.hpp: what the fluent API records in the logical graph —
// node kinds, uids, parallelism, partitioning of edges and output modes of aggregations.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "sluice/sluice.hpp"

namespace {

sluice::job_options two_way() {
  sluice::job_options o;
  o.parallelism = 2;
  return o;
}

auto numbers(sluice::environment& env, uint64_t n = 10) {
  return env.generate<int64_t>(n, [](uint64_t i) { return static_cast<int64_t>(i); });
}

auto parity(int64_t x) { return x % 2; }

}  // namespace

BOOST_AUTO_TEST_SUITE(logical_graph)

BOOST_AUTO_TEST_CASE(each_call_adds_one_node_of_the_right_kind_linked_to_its_input) {
  sluice::environment env{two_way()};
  auto sink = numbers(env)
                  .map([](const int64_t& x) { return x * 2; })
                  .filter([](const int64_t& x) { return x > 3; })
                  .flat_map<std::string>([](const int64_t& x, sluice::collector<std::string>& out) {
                    out.push(std::to_string(x));
                  })
                  .collect(std::make_shared<sluice::collected<std::string>>());
  const auto& nodes = env.graph().nodes();
  BOOST_TEST_REQUIRE(nodes.size() == 5u);
  BOOST_TEST((nodes[0].kind == sluice::node_kind::source));
  BOOST_TEST(!nodes[0].input.has_value());
  BOOST_TEST(static_cast<bool>(nodes[0].make_source));
  for (uint32_t i = 1; i < 4; ++i) {
    BOOST_TEST((nodes[i].kind == sluice::node_kind::op));
    BOOST_TEST(nodes[i].input.value() == i - 1);
    BOOST_TEST(static_cast<bool>(nodes[i].make_operator));
  }
  BOOST_TEST((nodes[4].kind == sluice::node_kind::sink));
  BOOST_TEST(nodes[4].input.value() == 3u);
  BOOST_TEST(sink.node_id() == 4u);
  for (uint32_t i = 0; i < nodes.size(); ++i)
    BOOST_TEST(nodes[i].id == i);
}

BOOST_AUTO_TEST_CASE(nodes_without_a_uid_are_named_after_their_kind_and_id) {
  sluice::environment env{two_way()};
  numbers(env)
      .map([](const int64_t& x) { return x; })
      .filter([](const int64_t&) { return true; })
      .key_by(parity)
      .count()
      .to([](const sluice::task_context&) -> sluice::operator_ptr { return nullptr; });
  const auto& nodes = env.graph().nodes();
  BOOST_TEST_REQUIRE(nodes.size() == 5u);
  BOOST_TEST(nodes[0].uid == "generator-0");
  BOOST_TEST(nodes[1].uid == "map-1");
  BOOST_TEST(nodes[2].uid == "filter-2");
  BOOST_TEST(nodes[3].uid == "aggregate-3");
  BOOST_TEST(nodes[4].uid == "sink-4");
}

BOOST_AUTO_TEST_CASE(uids_given_as_arguments_or_set_afterwards_are_kept) {
  sluice::environment env{two_way()};
  auto keyed = numbers(env).uid("numbers").map([](const int64_t& x) { return x + 1; }, "plus_one")
                   .key_by(parity);
  keyed.count({}, "counts").collect(std::make_shared<sluice::collected<std::pair<int64_t, int64_t>>>())
      .uid("results");
  const auto& nodes = env.graph().nodes();
  BOOST_TEST_REQUIRE(nodes.size() == 4u);
  BOOST_TEST(nodes[0].uid == "numbers");
  BOOST_TEST(nodes[1].uid == "plus_one");
  BOOST_TEST(nodes[2].uid == "counts");
  BOOST_TEST(nodes[3].uid == "results");
}

BOOST_AUTO_TEST_CASE(a_uid_given_twice_is_rejected_when_the_second_node_is_added) {
  sluice::environment env{two_way()};
  auto s = numbers(env).map([](const int64_t& x) { return x; }, "twice");
  BOOST_CHECK_THROW(s.map([](const int64_t& x) { return x; }, "twice"), std::invalid_argument);
  BOOST_TEST(env.graph().nodes().size() == 2u);  // the rejected node was not added
}

BOOST_AUTO_TEST_CASE(renaming_a_node_to_another_nodes_uid_is_rejected) {
  sluice::environment env{two_way()};
  auto s = numbers(env).uid("source");
  auto m = s.map([](const int64_t& x) { return x; });
  BOOST_CHECK_THROW(m.uid("source"), std::invalid_argument);
  BOOST_TEST(env.graph().node(m.node_id()).uid == "map-1");
  m.uid("map-1");  // keeping its own uid is not a duplicate
  BOOST_TEST(env.graph().node(m.node_id()).uid == "map-1");
}

BOOST_AUTO_TEST_CASE(an_explicit_uid_that_equals_a_default_uid_is_rejected) {
  sluice::environment env{two_way()};
  auto s = numbers(env);  // generator-0
  BOOST_CHECK_THROW(s.map([](const int64_t& x) { return x; }, "generator-0"),
                    std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(an_empty_uid_is_rejected) {
  sluice::environment env{two_way()};
  auto s = numbers(env);
  BOOST_CHECK_THROW(s.uid(""), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(parallelism_is_recorded_on_the_node_and_zero_means_the_default) {
  sluice::environment env{two_way()};
  auto s = numbers(env).parallelism(3);
  auto m = s.map([](const int64_t& x) { return x; });
  BOOST_TEST(env.graph().node(s.node_id()).parallelism == 3u);
  BOOST_TEST(env.graph().node(m.node_id()).parallelism == 0u);
}

BOOST_AUTO_TEST_CASE(an_environment_without_parallelism_defaults_to_at_least_one) {
  sluice::environment env;
  BOOST_TEST(env.options().parallelism >= 1u);
}

BOOST_AUTO_TEST_CASE(key_by_makes_the_next_node_read_through_a_hash_partitioning) {
  sluice::environment env{two_way()};
  auto counts = numbers(env).key_by(parity).count();
  auto sink = counts.collect(std::make_shared<sluice::collected<std::pair<int64_t, int64_t>>>());
  const auto& agg = env.graph().node(counts.node_id());
  BOOST_TEST((agg.input_partitioning == sluice::partitioning::hash));
  BOOST_TEST(static_cast<bool>(agg.input_router));
  // Only the edge into the keyed operator is hashed; the sink behind it reads forward.
  BOOST_TEST((env.graph().node(sink.node_id()).input_partitioning ==
              sluice::partitioning::forward));
  BOOST_TEST((env.graph().node(0).input_partitioning == sluice::partitioning::forward));
}

BOOST_AUTO_TEST_CASE(the_hash_router_of_a_keyed_edge_routes_by_the_key_selector) {
  sluice::environment env{two_way()};
  auto counts = numbers(env).key_by(parity).count();
  const auto& agg = env.graph().node(counts.node_id());
  auto r = agg.input_router(4, 128, 16);
  sluice::batch<int64_t> in{{0, 1, 2, 3, 4, 5}};
  r->route(in);
  for (uint32_t t = 0; t < 4; ++t) {
    auto b = r->take_any(t);
    if (!b)
      continue;
    for (auto x : sluice::as_batch<int64_t>(*b).items)
      BOOST_TEST(t == sluice::subtask_of_key(parity(x), 128, 4));
  }
}

BOOST_AUTO_TEST_CASE(rebalance_and_broadcast_set_the_partitioning_of_the_next_node_only) {
  sluice::environment env{two_way()};
  auto s = numbers(env);
  auto r = s.rebalance().map([](const int64_t& x) { return x; });
  auto b = r.broadcast().filter([](const int64_t&) { return true; });
  auto f = b.map([](const int64_t& x) { return x; });
  BOOST_TEST((env.graph().node(r.node_id()).input_partitioning == sluice::partitioning::rebalance));
  BOOST_TEST((env.graph().node(b.node_id()).input_partitioning == sluice::partitioning::broadcast));
  BOOST_TEST((env.graph().node(f.node_id()).input_partitioning == sluice::partitioning::forward));
}

BOOST_AUTO_TEST_CASE(aggregations_record_their_output_mode_and_other_nodes_none) {
  sluice::environment env{two_way()};
  sluice::aggregate_options update;
  update.mode = sluice::output_mode::update;
  auto src = numbers(env);
  auto counts = src.key_by(parity).count(update);
  BOOST_TEST((counts.output().value() == sluice::output_mode::update));
  BOOST_TEST((env.graph().node(counts.node_id()).mode.value() == sluice::output_mode::update));
  BOOST_TEST(!src.output().has_value());
}

BOOST_AUTO_TEST_CASE(every_output_mode_is_recorded_as_given) {
  for (auto mode : {sluice::output_mode::complete, sluice::output_mode::update,
                    sluice::output_mode::append}) {
    sluice::environment env{two_way()};
    sluice::aggregate_options o;
    o.mode = mode;
    auto sums = numbers(env).key_by(parity).aggregate(
        int64_t{0}, [](int64_t& acc, const int64_t& x) { acc += x; }, o);
    BOOST_TEST((sums.output().value() == mode));
  }
}

BOOST_AUTO_TEST_CASE(count_defaults_to_complete_mode) {
  sluice::environment env{two_way()};
  auto counts = numbers(env).key_by(parity).count();
  BOOST_TEST((counts.output().value() == sluice::output_mode::complete));
}

BOOST_AUTO_TEST_CASE(keyed_process_has_no_output_mode) {
  sluice::environment env{two_way()};
  auto out = numbers(env).key_by(parity).process<int64_t>(
      [](const int64_t& x, sluice::keyed_context<int64_t, int64_t>& ctx) { ctx.emit(x); });
  BOOST_TEST(!out.output().has_value());
  BOOST_TEST((env.graph().node(out.node_id()).input_partitioning == sluice::partitioning::hash));
  BOOST_TEST(env.graph().node(out.node_id()).uid == "process-1");
}

BOOST_AUTO_TEST_CASE(the_console_sink_asks_for_a_single_subtask) {
  sluice::environment env{two_way()};
  auto console = numbers(env).to_console();
  auto collect = numbers(env).collect(std::make_shared<sluice::collected<int64_t>>());
  BOOST_TEST(env.graph().node(console.node_id()).prefers_single);
  BOOST_TEST(!env.graph().node(collect.node_id()).prefers_single);
}

BOOST_AUTO_TEST_CASE(consumers_lists_the_nodes_reading_a_node) {
  sluice::environment env{two_way()};
  auto s = numbers(env);
  auto a = s.map([](const int64_t& x) { return x; });
  auto b = s.filter([](const int64_t&) { return true; });
  auto reading_s = env.graph().consumers(s.node_id());
  BOOST_TEST(reading_s == std::vector<uint32_t>({a.node_id(), b.node_id()}),
             boost::test_tools::per_element());
  BOOST_TEST(env.graph().consumers(a.node_id()).empty());
}

BOOST_AUTO_TEST_SUITE_END()
