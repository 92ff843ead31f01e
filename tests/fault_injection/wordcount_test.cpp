// Word count in complete mode with checkpoints, killed and restarted: the output directory ends
// with exactly one line per word holding the reference count (counted here, independently of
// examples/words.hpp), and no in-progress file.
#include <signal.h>

#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include "tests/fakes/child_process.hpp"
#include "tests/fakes/rng.hpp"
#include "tests/fakes/temp_dir.hpp"
#include "tests/fault_injection/checkpoint_files.hpp"
#include "tests/fault_injection/kill_sequence.hpp"
#include "tests/fault_injection/ledger_job.hpp"

using namespace sluice::fault_test;
using namespace sluice::test;
using std::chrono::milliseconds;

namespace {

const std::string wordcount_binary = SLUICE_BINARY_DIR "/examples/wordcount";
using word_counts = std::map<std::string, int64_t>;
using backends = boost::mpl::list<memory_backend, rocksdb_backend>;

/// The King James Bible `copies` times over, and its word counts.
struct bible_input {
  temp_dir dir;
  std::string path = dir / "kjv.txt";
  word_counts counts;

  explicit bible_input(int copies) {
    auto text = read_file(SLUICE_SOURCE_DIR "/examples/data/kjv.txt");
    std::string all;
    for (int i = 0; i < copies; ++i)
      all += text;
    write_file(path, all);
    auto space = [](char c) {
      return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
    };
    for (std::size_t i = 0; i < all.size();) {
      while (i < all.size() && space(all[i]))
        ++i;
      auto start = i;
      while (i < all.size() && !space(all[i]))
        ++i;
      if (i > start)
        ++counts[all.substr(start, i - start)];
    }
  }
};

/// Sized so a run takes one to two seconds: counting in RocksDB state is much slower here.
const bible_input& bible(const std::string& backend) {
  if (backend == "rocksdb") {
    static bible_input once{1};
    return once;
  }
  static bible_input eight_times{8};
  return eight_times;
}

/// A word count job in complete mode with checkpoints in a scratch directory.
class wordcount_job {
 public:
  explicit wordcount_job(std::string backend)
      : backend_(std::move(backend)), input_(bible(backend_)) {}

  std::string output() const { return dir_ / "out"; }
  std::string checkpoints() const { return dir_ / "checkpoints"; }

  launch next_run(std::vector<std::string> env = {}) {
    launch l;
    l.binary = wordcount_binary;
    l.args = {"--input",
              input_.path,
              "--output",
              output(),
              "--output-mode",
              "complete",
              "--checkpoint-dir",
              checkpoints(),
              "--checkpoint-interval-ms",
              "50",
              "--parallelism",
              "2",
              "--state-backend",
              backend_};
    l.env = std::move(env);
    l.log_prefix = dir_ / ("run-" + std::to_string(++runs_));
    return l;
  }

  /// Checks the output: one line per word, its reference count, nothing in progress.
  bool expect_reference_counts(const std::string& context) const {
    word_counts got;
    uint64_t repeated = 0;
    std::string first_repeat;
    std::vector<std::string> in_progress;
    for (const auto& name : file_names(output())) {
      if (name[0] == '.') {
        in_progress.push_back(name);
        continue;
      }
      std::istringstream lines(read_file(output() + "/" + name));
      std::string line;
      while (std::getline(lines, line)) {
        auto tab = line.rfind('\t');
        auto word = line.substr(0, tab);
        if (got.count(word) && repeated++ == 0)
          first_repeat = name + ": " + line;
        got[word] = tab == std::string::npos ? -1 : std::atoll(line.c_str() + tab + 1);
      }
    }
    bool ok = repeated == 0 && in_progress.empty() && got == input_.counts;
    BOOST_TEST(ok, context << ": " << got.size() << " words (reference " << input_.counts.size()
                           << "), " << repeated << " repeated (first: " << first_repeat << "), "
                           << first_difference(got) << ", " << in_progress.size()
                           << " in-progress files left");
    return ok;
  }

 private:
  std::string first_difference(const word_counts& got) const {
    const auto& want = input_.counts;
    for (const auto& [w, n] : want)
      if (auto it = got.find(w); it == got.end() || it->second != n)
        return "'" + w + "' counted " + (it == got.end() ? "never" : std::to_string(it->second)) +
               " instead of " + std::to_string(n);
    for (const auto& [w, n] : got)
      if (!want.count(w))
        return "'" + w + "' is no word of the input";
    return "counts equal";
  }

  std::string backend_;
  const bible_input& input_;
  temp_dir dir_;
  int runs_ = 0;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(word_count_killed_and_restarted)

BOOST_AUTO_TEST_CASE(at_random_times_gives_exactly_the_reference_counts) {
  milliseconds clean_run{0};
  {
    wordcount_job job{"memory"};
    auto run = job.next_run();
    auto r = run_to_end(run);
    BOOST_TEST_REQUIRE(r.succeeded(), run.command_line() << ": " << r.describe());
    BOOST_TEST_REQUIRE(job.expect_reference_counts("an uninterrupted run"));
    clean_run = r.ran;
  }
  int required = sluice::test::required_runs(3);
  int conclusive = 0, inconclusive = 0;
  for (uint64_t seed = 1; conclusive < required && conclusive + inconclusive < 5 * required;
       ++seed) {
    std::mt19937_64 rng{seed};
    wordcount_job job{"memory"};
    kill_sequence seq{"word count, seed " + std::to_string(seed)};
    // Anywhere in the first two thirds of a clean run's length (later kills often come after
    // the end, since a first run is the slowest).
    auto at = milliseconds(
        clean_run.count() / 20 +
        static_cast<int64_t>(rng() % static_cast<uint64_t>(clean_run.count() * 6 / 10 + 1)));
    auto run = job.next_run();
    seq.record(run, run_and_kill_at(run, at), job.checkpoints());
    if (!seq.ended()) {
      auto again = job.next_run();
      seq.record(again, run_to_end(again), job.checkpoints());
    }
    seq.expect_success();
    if (!job.expect_reference_counts(seq.summary()))
      seq.fail();
    auto a = seq.result();
    (a.conclusive ? conclusive : inconclusive) += 1;
    BOOST_TEST_MESSAGE(a.summary);
    if (!a.ok)
      break;
  }
  BOOST_TEST_MESSAGE(
      "word count: "
      << conclusive << " conclusive, " << inconclusive
      << " inconclusive random-kill runs (ended before the kill, or killed before a checkpoint)");
  BOOST_TEST(conclusive >= required, "only " << conclusive << " of " << conclusive + inconclusive
                                             << " runs were killed after a completed checkpoint");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(while_committing_its_final_result_gives_exactly_the_reference_counts,
                              Backend, backends) {
  // Complete mode commits the result once, one "part-S" per subtask, after the first checkpoint
  // that follows the end of input (the final one or a periodic one just before it): the second
  // rename is never reached. The restart restores that checkpoint and commits the rest.
  wordcount_job job{Backend::name};
  auto run = job.next_run({"SLUICE_FAULT=sink_mid_commit:2"});
  auto r = run_to_end(run);
  BOOST_TEST_REQUIRE((!r.exited && r.signal == SIGKILL),
                     run.command_line()
                         << ": the fault point did not kill the job: " << r.describe());
  auto ids = manifest_ids(job.checkpoints());
  BOOST_TEST_REQUIRE(!ids.empty());
  auto again = job.next_run();
  auto r2 = run_to_end(again);
  BOOST_TEST_REQUIRE(r2.succeeded(), again.command_line() << ": " << r2.describe());
  BOOST_TEST((restored_checkpoint(r2.err) == ids.back()), r2.err);
  job.expect_reference_counts(std::string{Backend::name} + " backend, killed between commits");
}

BOOST_AUTO_TEST_SUITE_END()
