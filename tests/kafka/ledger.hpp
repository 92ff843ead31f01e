// The ledger of the Kafka exactly-once tests: numbered transactions "t<i>,<account>,<amount>"
// keyed by account (plus some malformed lines), and the check of what examples/account_balances
// wrote to its output topic: every transaction exactly once, keyed by its account, each account's
// rows in input order with consistent running balances.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tests/kafka/support.hpp"

namespace sluice::kafka_test {

struct ledger {
  /// What to produce to the input topic: (account key, line); malformed lines have no key.
  std::vector<std::pair<std::string, std::string>> messages;
  /// The malformed lines among them.
  std::vector<std::string> malformed;
  /// Valid transactions: id -> (account, amount), and each account's ids in input order.
  std::map<std::string, std::pair<std::string, int64_t>> txns;
  std::map<std::string, std::vector<std::string>> order;
};

/// `n` transactions over `accounts` accounts; every `malformed_every`-th line malformed (0: none).
ledger make_ledger(uint64_t seed, std::size_t n, std::size_t accounts, std::size_t malformed_every);

/// Problems with the output topic's messages (empty: exactly once and consistent). At most a
/// few of each kind are listed. `epochs`: rows carry sluice.epoch (exactly-once mode).
std::vector<std::string> check_output(const ledger& l, const std::vector<message>& out, bool epochs = true);

/// Problems with the dead-letter files of the job's parse operator in `dir`: every malformed line
/// exactly once.
std::vector<std::string> check_dead_letters(const ledger& l, const std::string& dir);

}  // namespace sluice::kafka_test
