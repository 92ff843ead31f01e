// Aggregation output modes through the actor runtime (environment::execute): update, append and
// complete mode with a processing-time trigger firing while a rate-limited source runs. The
// assertions hold whatever the timing; results are checked against a reference computed here.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sluice/sluice.hpp"
#include "tests/actors/runtime_support.hpp"

namespace {

using namespace sluice::test;

/// Runs the job on a thread of its own and waits at most `limit` for it: nullopt means the job
/// hung. A hung job cannot be stopped, so its thread is then abandoned. Only for tests that
/// guard against a deadlock; the limit is far above the job's normal run time.
std::optional<sluice::job_result> execute_within(std::shared_ptr<sluice::environment> env,
                                                 std::chrono::seconds limit) {
  struct outcome {
    std::mutex m;
    std::condition_variable cv;
    std::optional<sluice::job_result> result;
  };
  auto o = std::make_shared<outcome>();
  std::thread runner([env, o] {
    auto r = env->execute();
    std::lock_guard<std::mutex> g{o->m};
    o->result = std::move(r);
    o->cv.notify_all();
  });
  std::unique_lock<std::mutex> lock{o->m};
  if (!o->cv.wait_for(lock, limit, [&] { return o->result.has_value(); })) {
    runner.detach();
    return std::nullopt;
  }
  lock.unlock();
  runner.join();
  return o->result;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime_output_modes)

// Ten keys, each owning 300 consecutive records; the source is rate-limited so that several
// triggers fire while it runs. The assertions hold whatever the timing.
constexpr uint64_t records = 3000;
constexpr int64_t per_key = 300;

std::string block_key(uint64_t i) { return "k" + std::to_string(i / per_key); }

std::vector<count_row> run_triggered_count(sluice::output_mode mode, sluice::job_result& r,
                                           std::size_t& epochs) {
  sluice::environment env{small_batches(2)};
  sluice::aggregate_options o;
  o.mode = mode;
  o.trigger = std::chrono::milliseconds(5);
  auto out = std::make_shared<sluice::collected<count_row>>();
  env.generate<std::string>(records, block_key, 30000.0)
      .parallelism(1)
      .key_by(identity)
      .count(o, "count")
      .collect(out);
  r = env.execute();
  epochs = out->epochs();
  return out->records();
}

BOOST_AUTO_TEST_CASE(update_mode_emits_a_key_only_when_its_count_changed) {
  sluice::job_result r;
  std::size_t epochs = 0;
  auto rows = run_triggered_count(sluice::output_mode::update, r, epochs);
  BOOST_TEST_REQUIRE(r.ok, r.error);
  auto seen = by_key(rows);
  BOOST_TEST(seen.size() == 10u);
  for (const auto& [k, values] : seen) {
    // A key is emitted again only with a new count, and its last row is its final count.
    for (std::size_t i = 1; i < values.size(); ++i)
      BOOST_TEST(values[i] > values[i - 1], k << " re-emitted an unchanged count " << values[i]);
    BOOST_TEST(values.back() == per_key, k);
  }
  BOOST_TEST(epochs >= 1u);
}

BOOST_AUTO_TEST_CASE(append_mode_emits_each_key_once_with_its_final_count) {
  sluice::job_result r;
  std::size_t epochs = 0;
  auto rows = run_triggered_count(sluice::output_mode::append, r, epochs);
  BOOST_TEST_REQUIRE(r.ok, r.error);
  std::map<std::string, int64_t> expected;
  for (uint64_t i = 0; i < records; ++i)
    ++expected[block_key(i)];
  BOOST_TEST(rows.size() == expected.size());
  BOOST_TEST(lines(rows) == lines(expected), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(complete_mode_ends_with_every_keys_final_count) {
  sluice::job_result r;
  std::size_t epochs = 0;
  auto rows = run_triggered_count(sluice::output_mode::complete, r, epochs);
  BOOST_TEST_REQUIRE(r.ok, r.error);
  auto seen = by_key(rows);
  BOOST_TEST(seen.size() == 10u);
  for (const auto& [k, values] : seen) {
    BOOST_TEST(std::is_sorted(values.begin(), values.end()), k);  // counts never go back
    BOOST_TEST(values.back() == per_key, k);
  }
  // Every trigger of each of the two aggregation subtasks ends an epoch; the last one repeats
  // the whole table, so the final epoch's rows hold every key once.
  BOOST_TEST(epochs >= 2u);
}

// A downstream task reading several aggregation subtasks must not stall when one subtask sees no
// changes for many triggers while another emits many rows: the busy subtask's channel may not be
// held waiting for the idle one (with credit flow control that would back up into the shared
// upstream and hang the job).
BOOST_AUTO_TEST_CASE(update_mode_feeding_a_sink_with_several_inputs_runs_to_its_end) {
  // A few keys on both aggregation subtasks, then thousands of new keys all owned by subtask 0,
  // so that subtask 1 sees no change for many triggers while subtask 0 emits many rows.
  std::vector<std::string> on_0, on_1;
  for (int i = 0; on_0.size() < 3000 || on_1.size() < 10; ++i) {
    auto k = "k" + std::to_string(i);
    (sluice::subtask_of_key(k, 128, 2) == 0 ? on_0 : on_1).push_back(k);
  }
  auto key_of_record = [on_0, on_1](uint64_t i) -> std::string {
    if (i < 20)
      return i % 2 ? on_1[i / 2] : on_0[i / 2];
    return on_0[10 + (i - 20) % (on_0.size() - 10)];
  };
  constexpr uint64_t n = 3020;
  auto o = small_batches(2);
  o.batch_size = 8;
  o.credits = 2;
  auto env = std::make_shared<sluice::environment>(o);
  sluice::aggregate_options update;
  update.mode = sluice::output_mode::update;
  update.trigger = std::chrono::milliseconds(5);
  auto out = std::make_shared<sluice::collected<count_row>>();
  env->generate<std::string>(n, key_of_record, 20000.0)
      .parallelism(1)
      .key_by(identity)
      .count(update, "count")
      .collect(out)
      .parallelism(1);  // one sink subtask reading both aggregation subtasks
  auto r = execute_within(env, std::chrono::seconds(20));
  BOOST_TEST_REQUIRE(r.has_value(), "the job hung");
  BOOST_TEST_REQUIRE(r->ok, r->error);
  std::map<std::string, int64_t> expected;
  for (uint64_t i = 0; i < n; ++i)
    ++expected[key_of_record(i)];
  std::map<std::string, int64_t> last;
  for (const auto& [k, v] : out->records())
    last[k] = v;
  BOOST_TEST(lines(last) == lines(expected), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

