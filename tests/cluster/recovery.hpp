// The checks of a ledger job whose cluster lost a worker (killed or hung by the test, or killed
// at a fault point): the coordinator restarted the job once, on the survivors, from a checkpoint
// no older than the newest one completed at the loss; it and the surviving workers exited 0; and
// the committed output is the ledger exactly once. A loss after the job had ended (no second
// attempt) or before any checkpoint completed proves nothing about recovery: inconclusive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "tests/cluster/cluster.hpp"
#include "tests/fault_injection/ledger_job.hpp"

namespace sluice::cluster_test {

/// What one run with a lost worker showed.
struct loss_outcome {
  bool restarted = false;            ///< the coordinator started a second attempt
  std::optional<uint64_t> restored;  ///< the checkpoint that attempt restored
  bool conclusive = false;           ///< restarted from a checkpoint completed before the loss
  bool ok = true;                    ///< no check failed
  std::string summary;               ///< one line: the label and what happened
};

/// Checks (Boost.Test assertions naming `label` and the commands) a finished cluster run of
/// `job` in which worker `victim` was lost while `newest_at_loss` was the newest completed
/// checkpoint (0: none, or unknown). The victim's own exit is the caller's to check.
loss_outcome check_recovery(const cluster_run& r, std::size_t victim, uint64_t newest_at_loss,
                            const fault_test::ledger_job& job, const std::string& label);

/// Waits (hang guard) until the worker that joined as `joined_as` is known and a checkpoint of
/// `job` completed; returns that worker's index. Fails the test (REQUIRE) otherwise.
std::optional<std::size_t> worker_once_a_checkpoint_completed(cluster& c,
                                                              const fault_test::ledger_job& job,
                                                              uint32_t joined_as);

/// The output and dead-letter files of `job` with their sizes, in-progress ones too.
std::map<std::string, uintmax_t> output_files(const fault_test::ledger_job& job);

/// Checks that the output and dead-letter files of `job` (in-progress ones too) are still
/// `before`, taken when the job ended: the lost worker `who`, woken or reconnected afterwards,
/// wrote nothing (it was fenced). Updates out.ok.
void expect_no_writes_after_the_end(const std::map<std::string, uintmax_t>& before,
                                    const fault_test::ledger_job& job, const std::string& who,
                                    const std::string& its_stderr, loss_outcome& out);

/// Runs `one_run(seed)` for seeds from first_seed() until `required` runs were conclusive, at
/// most `max_runs` in all, stopping at the first run whose checks failed; then checks enough
/// were conclusive. `what` says what a conclusive run did ("killed a worker after ...").
void until_conclusive(int required, int max_runs, const std::string& what,
                      const std::function<loss_outcome(uint64_t seed)>& one_run);

}  // namespace sluice::cluster_test
