// Kafka → Kafka exactly-once, end to end: examples/account_balances reads a ledger from one topic
// of a `sluice kafka-dev` broker and writes running balances to another, with checkpoints. It is
// SIGKILLed at the Kafka sink's fault points and at random moments, restarted each time with the
// same command, and then an independent client (kafka-python) reads the whole output topic —
// uncommitted data included, since the development broker writes no transaction markers — and
// every transaction must be there exactly once, with consistent balances.
#include <boost/test/unit_test.hpp>

#include <chrono>

#include "tests/fakes/rng.hpp"
#include "tests/kafka/ledger.hpp"
#include "tests/kafka/support.hpp"

using namespace sluice::kafka_test;
using namespace sluice::test;

namespace {

const std::chrono::seconds hang_guard{120};

/// One run of the job: an optional fault point (SLUICE_FAULT) or kill time.
struct planned_run {
  std::string fault;
  std::optional<std::chrono::milliseconds> kill_after;
};

struct job_runs {
  std::vector<run_result> runs;
  std::string all_stderr;
};

/// Produces `l`, then runs the job once per planned run and again until it ends by itself.
job_runs run_until_done(const dev_broker& broker, const ledger& l, const temp_dir& dir,
                        const std::vector<planned_run>& plan) {
  produce(broker.bootstrap(), "tx", l.messages);
  std::vector<std::string> args{"--kafka-brokers", broker.bootstrap(), "--kafka-input", "tx",
                                "--kafka-output", "balances", "--kafka-bounded",
                                "--checkpoint-dir", dir / "checkpoints", "--checkpoint-interval-ms", "20",
                                "--parallelism", "2", "--dead-letter-dir", dir / "dead-letters"};
  job_runs out;
  for (std::size_t i = 0; i < plan.size() + 10; ++i) {
    launch l{account_balances, args, {}, ""};
    std::optional<std::chrono::milliseconds> kill_after;
    if (i < plan.size()) {
      if (!plan[i].fault.empty())
        l.env.push_back("SLUICE_FAULT=" + plan[i].fault);
      kill_after = plan[i].kill_after;
    }
    auto r = kill_after ? run_and_kill_at(l, *kill_after, hang_guard) : run_to_end(l, hang_guard);
    out.all_stderr += "--- run " + std::to_string(i + 1) + ": " + r.describe() + "\n";
    BOOST_REQUIRE_MESSAGE(!r.hung, "run " << i + 1 << " hung: " << r.describe());
    BOOST_REQUIRE_MESSAGE(r.succeeded() || !r.exited,
                          "run " << i + 1 << " failed instead of being killed: " << r.describe());
    out.runs.push_back(r);
    if (i >= plan.size() && r.succeeded())
      return out;
  }
  BOOST_FAIL("the job did not finish in 10 clean runs after the planned ones:\n" << out.all_stderr);
  return out;
}

void expect_exactly_once(const dev_broker& broker, const ledger& l, const temp_dir& dir,
                         const job_runs& runs) {
  auto out = consume_all(broker.bootstrap(), "balances");
  auto problems = check_output(l, out);
  std::string text;
  for (const auto& p : problems)
    text += "  " + p + "\n";
  BOOST_TEST(problems.empty(), "output topic 'balances' (" << out.size() << " messages for "
                                                          << l.txns.size() << " transactions):\n"
                                                          << text << runs.all_stderr);
  auto dead = check_dead_letters(l, dir / "dead-letters");
  BOOST_TEST(dead.empty(), (dead.empty() ? std::string{} : dead.front()));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(exactly_once)

BOOST_AUTO_TEST_CASE(kills_at_the_sink_fault_points_lose_and_duplicate_nothing) {
  dev_broker broker{{"tx:4", "balances:4"}};
  temp_dir dir;
  auto l = make_ledger(11, 40000, 24, 997);
  // Each fault stops one run; the next run restores and goes on. mid_publish always fires (every
  // message passes it); mid_recovery then fires inside the restart's republishing.
  auto runs = run_until_done(broker, l, dir,
                             {{"kafka_sink_mid_publish:3000", {}},
                              {"kafka_sink_mid_recovery:10", {}},
                              {"kafka_sink_before_publish:2", {}},
                              {"kafka_sink_after_publish:2", {}},
                              {"coordinator_after_manifest:2", {}},
                              {"task_after_snapshot:3", {}}});
  BOOST_TEST(!runs.runs.front().exited, "the first run reached kafka_sink_mid_publish: "
                                            << runs.runs.front().describe());
  // The restart after the mid-publish kill republished pending messages (and was killed doing
  // so); the one after it found them in the topic and published the rest: recovery was taken.
  BOOST_TEST(!runs.runs.at(1).exited, "run 2 reached kafka_sink_mid_recovery: " << runs.runs.at(1).describe());
  BOOST_TEST(!lines_containing(runs.runs.at(2).err, "already in topic 'balances'").empty(),
             "run 3 recovered the sink: " << runs.runs.at(2).err);
  expect_exactly_once(broker, l, dir, runs);
}

BOOST_AUTO_TEST_CASE(random_kills_lose_and_duplicate_nothing) {
  dev_broker broker{{"tx:4", "balances:4"}};
  temp_dir dir;
  auto l = make_ledger(23, 40000, 24, 1999);
  rng r{20251125};
  std::vector<planned_run> plan;
  for (int i = 0; i < 8; ++i)
    plan.push_back({"", std::chrono::milliseconds(30 + r.below(500))});
  BOOST_TEST_MESSAGE("kill times (ms): " << [&] {
    std::string s;
    for (const auto& p : plan)
      s += std::to_string(p.kill_after->count()) + " ";
    return s;
  }());
  auto runs = run_until_done(broker, l, dir, plan);
  expect_exactly_once(broker, l, dir, runs);
}

BOOST_AUTO_TEST_CASE(at_least_once_loses_nothing_and_publishes_without_checkpoint_delay) {
  dev_broker broker{{"tx:4", "balances:4"}};
  temp_dir dir;
  auto l = make_ledger(5, 5000, 8, 0);
  produce(broker.bootstrap(), "tx", l.messages);
  auto r = run(account_balances,
               {"--kafka-brokers", broker.bootstrap(), "--kafka-input", "tx", "--kafka-output",
                "balances", "--kafka-bounded", "--kafka-delivery", "at-least-once",
                "--checkpoint-dir", dir / "checkpoints", "--parallelism", "2"});
  BOOST_REQUIRE_MESSAGE(r.succeeded(), r.describe());
  auto out = consume_all(broker.bootstrap(), "balances");
  BOOST_TEST(out.size() == l.txns.size());
  BOOST_TEST(check_output(l, out, false).empty());
}

BOOST_AUTO_TEST_SUITE_END()
