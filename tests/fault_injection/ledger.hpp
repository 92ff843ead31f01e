// The ledger of examples/account_balances, generated and checked independently of the job:
// a seeded input of "t{i},acct{a},{amount}" lines with malformed lines of every kind the parser
// rejects mixed in, and a checker of the committed output against that input, record by record.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::fault_test {

/// What to generate. Every field says its default.
struct ledger_spec {
  uint64_t lines = 1'000'000;        ///< input lines, valid and malformed
  uint64_t seed = 1;                 ///< accounts and amounts
  uint32_t accounts = 1000;          ///< accounts "acct0" .. "acct{accounts-1}"
  uint64_t malformed_every = 10007;  ///< line i ≥ malformed_from is malformed iff
  uint64_t malformed_at = 4321;      ///<   i % malformed_every == malformed_at
  uint64_t malformed_from = 0;       ///< no malformed line before this one
};

/// A generated input file and what each of its lines is. Immutable after generation.
class ledger_input {
 public:
  /// Writes the input to `path` (throws std::runtime_error when it cannot).
  ledger_input(const ledger_spec& spec, std::string path);

  const std::string& path() const { return path_; }
  const ledger_spec& spec() const { return spec_; }
  uint64_t valid_lines() const { return valid_; }
  uint64_t malformed_lines() const { return lines_.size() - valid_; }

  /// One input line: kind 0 is a valid transaction, any other a malformed line.
  struct line {
    int16_t amount = 0;
    uint16_t account = 0;
    uint8_t kind = 0;
  };
  const std::vector<line>& lines() const { return lines_; }

  /// The text of line `i` (without newline), and for a malformed line the parser's reason.
  std::string text(uint64_t i) const;
  std::string reason(uint64_t i) const;

 private:
  ledger_spec spec_;
  std::string path_;
  std::vector<line> lines_;
  uint64_t valid_ = 0;
};

/// What the committed output of a finished job holds compared with its input. Problems are
/// counted and the first few described.
struct ledger_check {
  uint64_t rows = 0;          ///< committed output rows
  uint64_t missing = 0;       ///< valid transactions not in the output
  uint64_t duplicated = 0;    ///< extra copies of transactions
  uint64_t unexpected = 0;    ///< rows that are no valid transaction of the input
  uint64_t altered = 0;       ///< rows whose account or amount differs from the input
  uint64_t broken_chain = 0;  ///< rows whose balance − amount is not the account's previous balance
  uint64_t wrong_final = 0;        ///< accounts whose last balance is not the sum of their amounts
  uint64_t dead_letters = 0;       ///< committed dead letters
  uint64_t dead_missing = 0;       ///< malformed lines without a dead letter
  uint64_t dead_duplicated = 0;    ///< extra dead letters of a malformed line
  uint64_t dead_unexpected = 0;    ///< dead letters that are no malformed line of the input
  uint64_t dead_wrong_reason = 0;  ///< dead letters whose reason is not the parser's
  std::vector<std::string> in_progress;  ///< hidden ".…inprogress" files left behind
  std::vector<std::string> examples;     ///< the first problems, described

  /// Every valid transaction once with consistent balances, every malformed line one dead letter.
  bool exactly_once() const;
  /// exactly_once(), and no in-progress file left behind.
  bool ok() const;
  /// One paragraph: the counts and the examples.
  std::string describe() const;
};

/// Checks the part files "part-S-N" of `output_dir` (in the order the sink wrote them: by subtask,
/// then sequence, then line) and the dead-letter files of `dead_letter_dir` against `input`.
ledger_check check_ledger_output(const ledger_input& input, const std::string& output_dir,
                                 const std::string& dead_letter_dir);

}  // namespace sluice::fault_test
