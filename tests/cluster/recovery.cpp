#include "tests/cluster/recovery.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/cluster/support.hpp"
#include "tests/fault_injection/checkpoint_files.hpp"

namespace sluice::cluster_test {

namespace {

class checker {
 public:
  checker(loss_outcome& out, const cluster_run& r) : out_(out), r_(r) {}
  void operator()(bool condition, const std::string& what) {
    BOOST_TEST(condition, out_.summary << ": " << what << "\n" << r_.describe());
    out_.ok = out_.ok && condition;
  }

 private:
  loss_outcome& out_;
  const cluster_run& r_;
};

}  // namespace

loss_outcome check_recovery(const cluster_run& r, std::size_t victim, uint64_t newest_at_loss,
                            const fault_test::ledger_job& job, const std::string& label) {
  loss_outcome out;
  out.summary = label + ", newest checkpoint at the loss: " +
                (newest_at_loss ? std::to_string(newest_at_loss) : std::string{"none"});
  checker check{out, r};
  check(r.coordinator.succeeded(), "the coordinator did not succeed");
  for (std::size_t i = 0; i < r.workers.size(); ++i)
    if (i != victim)
      check(r.workers[i].succeeded(), "surviving worker " + std::to_string(i) + " did not succeed");
  const auto& err = r.coordinator.err;
  auto tried = attempts(err);
  out.restarted = tried.size() >= 2;
  if (out.restarted) {
    out.restored = tried[1].restored;
    out.summary += ", attempt 2 restored " +
                   (out.restored ? std::to_string(*out.restored) : std::string{"nothing"});
    check(tried.size() == 2u, "one lost worker, yet " + std::to_string(tried.size()) + " attempts");
    check(!fault_test::lines_containing(err, "lost: ").empty(),
          "no line says which worker was lost");
    check(!fault_test::lines_containing(err, "restarting from the latest completed checkpoint")
               .empty(),
          "no line says the job restarts");
    check(tried[1].workers + 1 == r.workers.size(), "attempt 2 does not run on the survivors");
    if (newest_at_loss > 0)
      check(out.restored && *out.restored >= newest_at_loss,
            "checkpoint " + std::to_string(newest_at_loss) +
                " was complete at the loss, attempt 2 restored an older one or none");
  } else {
    out.summary += ", the job had ended before the loss";
  }
  out.conclusive = out.restarted && out.restored && newest_at_loss > 0;
  if (!fault_test::expect_exactly_once(job, out.summary + "\n" + r.commands))
    out.ok = false;
  return out;
}

std::optional<std::size_t> worker_once_a_checkpoint_completed(cluster& c,
                                                              const fault_test::ledger_job& job,
                                                              uint32_t joined_as) {
  std::optional<std::size_t> worker;
  BOOST_TEST_REQUIRE(c.coordinator().wait_until(
                         [&] {
                           worker = c.worker_joined_as(joined_as);
                           return worker && newest_checkpoint(job.checkpoints()) > 0;
                         },
                         event_guard),
                     "no worker joined as " << joined_as << " or no checkpoint completed: "
                                            << c.coordinator().err() << "\n"
                                            << c.commands());
  return worker;
}

std::map<std::string, uintmax_t> output_files(const fault_test::ledger_job& job) {
  auto files = files_in(job.output());
  for (const auto& [name, size] : files_in(job.dead_letters()))
    files["dead-letters/" + name] = size;
  return files;
}

void expect_no_writes_after_the_end(const std::map<std::string, uintmax_t>& before,
                                    const fault_test::ledger_job& job, const std::string& who,
                                    const std::string& its_stderr, loss_outcome& out) {
  auto changed = file_changes(before, output_files(job));
  BOOST_TEST(changed.empty(), out.summary << ": after the job ended, " << who
                                          << " wrote to the output (not fenced):\n"
                                          << changed << "its stderr:\n"
                                          << its_stderr);
  out.ok = out.ok && changed.empty();
}

void until_conclusive(int required, int max_runs, const std::string& what,
                      const std::function<loss_outcome(uint64_t seed)>& one_run) {
  int conclusive = 0, inconclusive = 0;
  for (uint64_t seed = first_seed(); conclusive < required && conclusive + inconclusive < max_runs;
       ++seed) {
    auto a = one_run(seed);
    (a.conclusive ? conclusive : inconclusive) += 1;
    BOOST_TEST_MESSAGE(a.summary);
    if (!a.ok)
      break;  // the failure is reported; more seeds would only repeat it
  }
  BOOST_TEST_MESSAGE(conclusive << " conclusive, " << inconclusive << " inconclusive runs");
  BOOST_TEST(conclusive >= required, "only " << conclusive << " of " << conclusive + inconclusive
                                             << " runs " << what);
}

}  // namespace sluice::cluster_test
