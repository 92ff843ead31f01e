// actors/task_runner.hpp: one task's logic driven directly through a recording transport — a
// source polls only while its output has credit, a partition task routes by key and credits each
// batch it consumed, a blocked task stops consuming, aggregations emit per trigger by output mode,
// and user code that throws surfaces as a task_failure naming the operator.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "actors/physical_plan.hpp"
#include "actors/task_runner.hpp"
#include "sluice/sluice.hpp"
#include "tests/fakes/recording_transport.hpp"

namespace {

using sluice::actors::build_plan;
using sluice::actors::physical_plan;
using sluice::actors::plan_options;
using sluice::actors::poll_next;
using sluice::actors::task_failure;
using sluice::actors::task_kind;
using sluice::actors::task_runner;
using sluice::test::recording_transport;
using trace = std::vector<std::string>;
using row = std::pair<int64_t, int64_t>;

int64_t identity(const int64_t& x) { return x; }

sluice::batch_ptr batch_of(std::vector<int64_t> xs) {
  return std::make_shared<sluice::batch<int64_t>>(std::move(xs));
}

/// A job graph and its plan, kept together because the plan points into the graph.
struct job {
  explicit job(uint32_t batch_size = 4, uint32_t credits = 2) {
    opts.parallelism = 1;
    opts.batch_size = batch_size;
    opts.credits = credits;
  }
  const physical_plan& build() {
    plan = build_plan(env.graph(), opts);
    return plan;
  }
  /// Id of subtask `subtask` of the task running logical node `head` first.
  uint32_t task(uint32_t head, uint32_t subtask = 0) const {
    for (const auto& t : plan.tasks)
      if (!t.chain.empty() && t.chain.front() == head && t.ctx.subtask == subtask)
        return t.id;
    throw std::logic_error("no such task");
  }
  /// Id of partition task `subtask` (the job has one partitioned edge).
  uint32_t partition(uint32_t subtask = 0) const {
    for (const auto& t : plan.tasks)
      if (t.kind == task_kind::partition && t.ctx.subtask == subtask)
        return t.id;
    throw std::logic_error("no partition task");
  }
  sluice::environment env{};
  plan_options opts;
  physical_plan plan;
};

auto numbers(sluice::environment& env, uint64_t n) {
  return env.generate<int64_t>(n, [](uint64_t i) { return static_cast<int64_t>(i); });
}

std::vector<row> sorted(std::vector<row> rows) {
  std::sort(rows.begin(), rows.end());
  return rows;
}

/// Rows the sink received after the first `from`, sorted (rows of one trigger have no order).
std::vector<row> rows_since(const sluice::collected<row>& c, std::size_t from) {
  auto all = c.records();
  return sorted({all.begin() + static_cast<std::ptrdiff_t>(from), all.end()});
}

/// Prints rows for failure messages.
std::string show(const std::vector<row>& rows) {
  std::string s;
  for (const auto& [k, v] : rows)
    s += "(" + std::to_string(k) + "," + std::to_string(v) + ")";
  return s;
}

class throwing_sink final : public sluice::operator_logic {
 public:
  void open(const sluice::task_context&) override { throw std::runtime_error("disk on fire"); }
  void process(sluice::batch_base&, sluice::emitter&) override {}
};

}  // namespace

BOOST_AUTO_TEST_SUITE(task_runner_source)

BOOST_AUTO_TEST_CASE(a_source_sends_only_against_credit_and_ends_with_end_of_stream) {
  job j{4, 2};
  numbers(j.env, 10)
      .map([](const int64_t& x) { return x * 10; })
      .key_by(identity)
      .count()
      .collect(std::make_shared<sluice::collected<row>>());
  j.build();
  recording_transport net;
  task_runner r{j.plan, j.task(0), net};
  BOOST_TEST(r.is_source());
  r.start();
  BOOST_TEST(net.events().empty());  // a source has no input to grant credit to

  BOOST_TEST((r.poll() == poll_next::blocked));  // one batch made, no credit to send it
  BOOST_TEST(net.batch_count() == 0u);
  BOOST_TEST((r.poll() == poll_next::blocked));  // and it does not read more meanwhile

  r.on_credit(0, 2);
  BOOST_TEST(net.trace(0) == trace({"batch(4)"}), boost::test_tools::per_element());
  BOOST_TEST((r.poll() == poll_next::now));
  BOOST_TEST((r.poll() == poll_next::never));  // the last two records: input exhausted
  BOOST_TEST(!r.finished());                   // ... but they wait for credit
  BOOST_TEST(net.eos_count(0) == 0u);

  r.on_credit(0, 1);
  BOOST_TEST(r.finished());
  BOOST_TEST(net.trace(0) == trace({"batch(4)", "batch(4)", "batch(2)", "eos"}),
             boost::test_tools::per_element());
  BOOST_TEST(net.records<int64_t>(0) ==
                 std::vector<int64_t>({0, 10, 20, 30, 40, 50, 60, 70, 80, 90}),
             boost::test_tools::per_element());
  auto m = r.metrics();
  BOOST_TEST(m.records_in == 10u);   // emitted by the source
  BOOST_TEST(m.records_out == 10u);  // sent downstream
  BOOST_TEST(m.batches_out == 3u);
  BOOST_TEST(m.max_in_flight_batches == 2u);
  BOOST_TEST(m.max_in_flight_records == 8u);
  BOOST_TEST(m.op_records == std::vector<uint64_t>({10, 10}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_stopped_source_finishes_as_if_its_input_ended) {
  job j{4, 8};
  numbers(j.env, sluice::unbounded).key_by(identity).count().collect(
      std::make_shared<sluice::collected<row>>());
  j.build();
  recording_transport net;
  task_runner r{j.plan, j.task(0), net};
  r.start();
  r.on_credit(0, 8);
  BOOST_TEST((r.poll() == poll_next::now));
  r.request_stop();
  BOOST_TEST((r.poll() == poll_next::never));
  BOOST_TEST(r.finished());
  BOOST_TEST(net.trace(0) == trace({"batch(4)", "eos"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(task_runner_channels)

BOOST_AUTO_TEST_CASE(a_partition_task_routes_by_key_and_credits_every_batch_it_consumed) {
  job j{4, 3};
  numbers(j.env, 100).key_by(identity).count().parallelism(2).collect(
      std::make_shared<sluice::collected<row>>());
  j.build();
  recording_transport net;
  task_runner r{j.plan, j.partition(), net};
  r.start();
  BOOST_TEST(net.credits_granted(0) == 3u);  // the initial grant
  r.on_credit(0, 10);
  r.on_credit(1, 10);
  r.on_batch(0, batch_of({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  r.on_batch(0, batch_of({10, 11, 12}));
  BOOST_TEST(net.credits_granted(0) == 5u);  // one back for each batch consumed
  r.on_eos(0);
  BOOST_TEST(r.finished());
  std::vector<int64_t> all;
  for (uint32_t o = 0; o < 2; ++o) {
    auto t = net.trace(o);
    BOOST_TEST_REQUIRE(!t.empty());
    BOOST_TEST(t.back() == "eos");
    BOOST_TEST(net.eos_count(o) == 1u);
    for (auto x : net.records<int64_t>(o)) {
      BOOST_TEST(sluice::subtask_of_key(x, 128, 2) == o, "record " << x);
      all.push_back(x);
    }
    for (const auto& b : net.batches(o))
      BOOST_TEST(b->size() <= 4u);
  }
  std::sort(all.begin(), all.end());
  std::vector<int64_t> expected(13);
  for (int64_t i = 0; i < 13; ++i)
    expected[static_cast<std::size_t>(i)] = i;
  BOOST_TEST(all == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_task_whose_output_waits_for_credit_stops_consuming_and_crediting) {
  job j{2, 1};
  numbers(j.env, 100)
      .rebalance()
      .map([](const int64_t& x) { return x + 1000; }, "middle")
      .parallelism(1)
      .rebalance()
      .collect(std::make_shared<sluice::collected<int64_t>>());
  j.build();
  recording_transport net;
  task_runner r{j.plan, j.task(1), net};
  r.start();
  BOOST_TEST(net.credits_granted(0) == 1u);
  r.on_batch(0, batch_of({0, 1}));  // consumed; its output now waits for credit
  BOOST_TEST(net.credits_granted(0) == 2u);
  BOOST_TEST(r.output_blocked());
  r.on_batch(0, batch_of({2, 3}));  // not consumed while blocked: no credit back
  r.on_batch(0, batch_of({4, 5}));
  BOOST_TEST(net.credits_granted(0) == 2u);
  BOOST_TEST(net.batch_count() == 0u);

  r.on_credit(0, 1);  // the first output batch leaves; the next input batch is consumed
  BOOST_TEST(net.records<int64_t>(0) == std::vector<int64_t>({1000, 1001}),
             boost::test_tools::per_element());
  BOOST_TEST(net.credits_granted(0) == 3u);
  r.on_credit(0, 1);
  r.on_credit(0, 1);
  BOOST_TEST(net.records<int64_t>(0) ==
                 std::vector<int64_t>({1000, 1001, 1002, 1003, 1004, 1005}),
             boost::test_tools::per_element());
  BOOST_TEST(net.credits_granted(0) == 4u);
  BOOST_TEST(r.metrics().max_in_flight_batches == 1u);
}

BOOST_AUTO_TEST_CASE(the_linger_flush_sends_a_partial_batch) {
  job j{4, 2};
  numbers(j.env, 100).key_by(identity).count().collect(std::make_shared<sluice::collected<row>>());
  j.build();
  recording_transport net;
  task_runner r{j.plan, j.partition(), net};
  r.start();
  r.on_credit(0, 2);
  r.on_batch(0, batch_of({7, 8, 9}));
  BOOST_TEST(net.batch_count() == 0u);
  r.on_linger();
  BOOST_TEST(net.records<int64_t>(0) == std::vector<int64_t>({7, 8, 9}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_partition_task_forwards_an_epoch_mark_behind_the_data_on_every_output) {
  job j{4, 2};
  numbers(j.env, 100).key_by(identity).count().parallelism(2).collect(
      std::make_shared<sluice::collected<row>>());
  j.build();
  recording_transport net;
  task_runner r{j.plan, j.partition(), net};
  r.start();
  r.on_credit(0, 5);
  r.on_credit(1, 5);
  r.on_batch(0, batch_of({0, 1, 2, 3, 4, 5}));
  r.on_epoch(0, 1);
  for (uint32_t o = 0; o < 2; ++o) {
    auto t = net.trace(o);
    BOOST_TEST_REQUIRE(t.size() >= 2u);  // keys 0-5 reach both subtasks
    BOOST_TEST(t.back() == "epoch(1)");
    for (std::size_t i = 0; i + 1 < t.size(); ++i)
      BOOST_TEST(t[i].rfind("batch(", 0) == 0u, t[i]);
  }
  BOOST_TEST(net.records<int64_t>(0).size() + net.records<int64_t>(1).size() == 6u);
}

BOOST_AUTO_TEST_CASE(an_epoch_reaches_the_chain_once_after_every_input_delivered_it) {
  job j{4, 2};
  auto out = std::make_shared<sluice::collected<int64_t>>();
  numbers(j.env, 100).parallelism(2).rebalance().collect(out).parallelism(1);
  j.build();
  recording_transport net;
  task_runner r{j.plan, j.task(1), net};
  r.start();
  BOOST_TEST(j.plan.tasks[j.task(1)].inputs.size() == 2u);
  r.on_epoch(0, 1);
  r.on_batch(1, batch_of({1}));
  BOOST_TEST(out->epochs() == 0u);
  r.on_epoch(1, 1);
  BOOST_TEST(out->epochs() == 1u);
  r.on_eos(0);
  r.on_eos(1);
  BOOST_TEST(r.finished());
  BOOST_TEST(out->epochs() == 1u);
  BOOST_TEST(out->records() == std::vector<int64_t>({1}), boost::test_tools::per_element());
  BOOST_TEST(net.eos_count(0) == 0u);  // a chain ending in a sink has no outputs
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(task_runner_aggregation)

/// generator → key_by(identity) → aggregate(count, `mode`, trigger 1 h) → collect, as one task.
struct counting_task {
  explicit counting_task(sluice::output_mode mode) {
    sluice::aggregate_options o;
    o.mode = mode;
    o.trigger = std::chrono::hours(1);  // never fires by itself: the test calls on_timer
    numbers(j.env, 100).key_by(identity).count(o, "counts").collect(out);
    j.build();
    runner = std::make_unique<task_runner>(j.plan, j.task(1), net);
    runner->start();
  }
  void feed(std::vector<int64_t> keys) { runner->on_batch(0, batch_of(std::move(keys))); }
  void trigger() { runner->on_timer(0); }
  job j{64, 8};
  std::shared_ptr<sluice::collected<row>> out = std::make_shared<sluice::collected<row>>();
  recording_transport net;
  std::unique_ptr<task_runner> runner;
};

BOOST_AUTO_TEST_CASE(the_aggregation_timer_period_comes_from_the_trigger) {
  counting_task t{sluice::output_mode::update};
  auto periods = t.runner->timer_periods();
  BOOST_TEST_REQUIRE(periods.size() == 2u);  // the aggregation and the sink
  BOOST_TEST(periods[0].count() == 3600000);
  BOOST_TEST(periods[1].count() == 0);
}

BOOST_AUTO_TEST_CASE(update_mode_emits_only_the_keys_that_changed_since_the_last_trigger) {
  counting_task t{sluice::output_mode::update};
  t.feed({1, 1, 2});
  BOOST_TEST(t.out->records().empty());  // nothing before a trigger
  t.trigger();
  auto first = rows_since(*t.out, 0);
  BOOST_TEST(first == std::vector<row>({{1, 2}, {2, 1}}), show(first));
  BOOST_TEST(t.out->epochs() == 1u);

  t.feed({2, 3});
  t.trigger();
  auto second = rows_since(*t.out, 2);
  BOOST_TEST(second == std::vector<row>({{2, 2}, {3, 1}}), show(second));  // not key 1
  BOOST_TEST(t.out->epochs() == 2u);

  t.trigger();  // nothing changed: no rows, but the epoch still ends (numbers agree across
                // subtasks, so a downstream task can tell when every subtask ended epoch n)
  BOOST_TEST(t.out->records().size() == 4u);
  BOOST_TEST(t.out->epochs() == 3u);

  t.runner->on_eos(0);
  BOOST_TEST(t.runner->finished());
  BOOST_TEST(t.out->records().size() == 4u);
  BOOST_TEST(t.out->epochs() == 4u);  // the final trigger
}

BOOST_AUTO_TEST_CASE(complete_mode_emits_the_whole_table_at_every_trigger) {
  counting_task t{sluice::output_mode::complete};
  t.feed({1, 1, 2});
  t.trigger();
  t.feed({3});
  t.trigger();
  auto second = rows_since(*t.out, 2);
  BOOST_TEST(second == std::vector<row>({{1, 2}, {2, 1}, {3, 1}}), show(second));
  t.runner->on_eos(0);
  auto final_rows = rows_since(*t.out, 5);
  BOOST_TEST(final_rows == std::vector<row>({{1, 2}, {2, 1}, {3, 1}}), show(final_rows));
  BOOST_TEST(t.out->epochs() == 3u);
}

BOOST_AUTO_TEST_CASE(append_mode_emits_each_key_once_with_its_final_value_at_the_end) {
  counting_task t{sluice::output_mode::append};
  t.feed({1, 2});
  t.trigger();
  t.feed({1, 3});
  t.trigger();
  BOOST_TEST(t.out->records().empty());
  t.runner->on_eos(0);
  BOOST_TEST(t.runner->finished());
  auto rows = rows_since(*t.out, 0);
  BOOST_TEST(rows == std::vector<row>({{1, 2}, {2, 1}, {3, 1}}), show(rows));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(task_runner_failures)

BOOST_AUTO_TEST_CASE(an_operator_that_throws_fails_the_task_naming_the_operator) {
  job j{4, 2};
  numbers(j.env, 100)
      .rebalance()
      .map(
          [](const int64_t& x) -> int64_t {
            if (x == 13)
              throw std::runtime_error("unlucky record");
            return x;
          },
          "picky")
      .collect(std::make_shared<sluice::collected<int64_t>>());
  j.build();
  recording_transport net;
  task_runner r{j.plan, j.task(1), net};
  r.start();
  r.on_batch(0, batch_of({11, 12}));
  BOOST_CHECK_EXCEPTION(r.on_batch(0, batch_of({13})), task_failure, [](const task_failure& e) {
    std::string what = e.what();
    return what.find("'picky'") != std::string::npos &&
           what.find("unlucky record") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(an_operator_that_throws_in_open_fails_the_start_naming_the_operator) {
  job j{4, 2};
  numbers(j.env, 100).to(
      [](const sluice::task_context&) -> sluice::operator_ptr {
        return std::make_unique<throwing_sink>();
      },
      "fragile");
  j.build();
  recording_transport net;
  task_runner r{j.plan, j.task(0), net};
  BOOST_CHECK_EXCEPTION(r.start(), task_failure, [](const task_failure& e) {
    std::string what = e.what();
    return what.find("'fragile-1'") != std::string::npos &&
           what.find("disk on fire") != std::string::npos;
  });
}

BOOST_AUTO_TEST_SUITE_END()
