#include "tests/fault_injection/ledger_job.hpp"

#include <map>
#include <memory>
#include <mutex>

#include <boost/test/unit_test.hpp>

namespace sluice::fault_test {

const ledger_input& shared_ledger(uint64_t lines, uint64_t malformed_from) {
  static std::mutex m;
  static test::temp_dir dir;
  static std::map<std::pair<uint64_t, uint64_t>, std::unique_ptr<ledger_input>> inputs;
  std::lock_guard<std::mutex> lock(m);
  auto& in = inputs[{lines, malformed_from}];
  if (!in) {
    ledger_spec spec;
    spec.lines = lines;
    spec.malformed_from = malformed_from;
    auto name = "ledger-" + std::to_string(lines) + "-" + std::to_string(malformed_from) + ".csv";
    in = std::make_unique<ledger_input>(spec, dir / name);
  }
  return *in;
}

ledger_job::ledger_job(const ledger_input& input, const test::temp_dir& dir,
                       ledger_job_options opts)
    : input_(input),
      dir_(dir),
      opts_(std::move(opts)),
      output_(dir / "out"),
      checkpoints_(dir / "checkpoints") {}

test::launch ledger_job::next_run(std::vector<std::string> env, std::vector<std::string> extra) {
  test::launch l;
  l.binary = account_balances_binary;
  l.args = {"--input",
            input_.path(),
            "--output",
            output_,
            "--checkpoint-dir",
            checkpoints_,
            "--checkpoint-interval-ms",
            std::to_string(opts_.interval_ms),
            "--checkpoints-retained",
            std::to_string(opts_.retained),
            "--parallelism",
            std::to_string(opts_.parallelism),
            "--state-backend",
            opts_.backend};
  l.args.insert(l.args.end(), extra.begin(), extra.end());
  l.env = std::move(env);
  l.log_prefix = dir_ / ("run-" + std::to_string(++runs_));
  return l;
}

test::launch ledger_job::next_run_into(const std::string& output, std::vector<std::string> extra) {
  auto l = next_run({}, std::move(extra));
  l.set_flag("--output", output);
  return l;
}

bool expect_exactly_once(const ledger_job& job, const std::string& context) {
  auto c = job.check();
  BOOST_TEST(c.ok(),
             context << ": the committed output is not the input exactly once: " << c.describe());
  return c.ok();
}

}  // namespace sluice::fault_test
