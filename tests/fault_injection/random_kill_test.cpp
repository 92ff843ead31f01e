// SIGKILL at random (seeded) times: a job killed up to three times and restarted each time commits
// every record exactly once. A kill before any checkpoint completed proves nothing about
// recovery: such runs are counted as inconclusive and more seeds are tried, up to a bound.
//
// SLUICE_FAULT_RUNS=N overrides the conclusive runs required per backend (the bound is 5N
// attempts); SLUICE_FAULT_SEED=S the first seed (default 1). A failure names the seed and the
// commands.
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>

#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include "tests/fault_injection/kill_sequence.hpp"
#include "tests/fault_injection/ledger_job.hpp"
#include "tests/fakes/rng.hpp"

using namespace sluice::fault_test;
using namespace sluice::test;
using std::chrono::milliseconds;

namespace {

using backends = boost::mpl::list<memory_backend, rocksdb_backend>;

/// One seed: a job killed at random times, restarted, and checked.
template <class Backend>
kill_attempt random_kill_attempt(const ledger_input& input, uint64_t seed, milliseconds clean_run) {
  std::mt19937_64 rng{seed};
  auto uniform = [&](double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(rng() >> 11) / static_cast<double>(1ull << 53);
  };
  temp_dir dir;
  ledger_job_options o;
  o.backend = Backend::name;
  o.interval_ms = 50 + static_cast<uint32_t>(rng() % 51);
  ledger_job job{input, dir, o};
  kill_sequence seq{"seed " + std::to_string(seed) + ", interval " + std::to_string(o.interval_ms) +
                    " ms"};
  int kills = 1 + static_cast<int>(rng() % 3);  // the restarts may be killed too
  for (int k = 0; k < kills && !seq.ended(); ++k) {
    // The first run is killed anywhere in its course; a restart has less left to do.
    double fraction =
        k == 0 ? uniform(Backend::first_kill_from, Backend::first_kill_to) : uniform(0.05, 0.6);
    auto at = milliseconds(static_cast<int64_t>(fraction * static_cast<double>(clean_run.count())));
    auto run = job.next_run();
    seq.record(run, run_and_kill_at(run, at), job.checkpoints());
  }
  if (!seq.ended()) {
    auto run = job.next_run();
    seq.record(run, run_to_end(run), job.checkpoints());
  }
  seq.expect_success();
  if (!expect_exactly_once(job, seq.summary()))
    seq.fail();
  return seq.result();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(killed_at_random_times)

BOOST_AUTO_TEST_CASE_TEMPLATE(a_restarted_ledger_commits_every_transaction_exactly_once, Backend,
                              backends) {
  const auto& input = shared_ledger(Backend::ledger_lines);
  // An uninterrupted run: its output must already be right, and its length sizes the kill times.
  milliseconds clean_run{0};
  {
    temp_dir dir;
    ledger_job_options o;
    o.backend = Backend::name;
    ledger_job job{input, dir, o};
    auto run = job.next_run();
    auto r = run_to_end(run);
    BOOST_TEST_REQUIRE(r.succeeded(), run.command_line() << ": " << r.describe());
    expect_exactly_once(job, "an uninterrupted run");
    clean_run = r.ran;
  }
  int required = required_runs(Backend::random_kill_runs);
  int conclusive = 0, inconclusive = 0;
  for (uint64_t seed = first_seed();
       conclusive < required && conclusive + inconclusive < 5 * required; ++seed) {
    auto a = random_kill_attempt<Backend>(input, seed, clean_run);
    (a.conclusive ? conclusive : inconclusive) += 1;
    BOOST_TEST_MESSAGE(Backend::name << ": " << a.summary);
    if (!a.ok)
      break;  // the failure is reported; more seeds would only repeat it
  }
  BOOST_TEST_MESSAGE(
      Backend::name
      << " backend: " << conclusive << " conclusive, " << inconclusive
      << " inconclusive random-kill runs (ended before the kill, or killed before a checkpoint)");
  BOOST_TEST(conclusive >= required, "only " << conclusive << " of " << conclusive + inconclusive
                                             << " runs were killed after a completed checkpoint");
}

BOOST_AUTO_TEST_SUITE_END()
