#include "tests/kafka/ledger.hpp"

#include <filesystem>
#include <set>
#include <sstream>

#include "tests/fakes/rng.hpp"
#include "tests/fakes/temp_dir.hpp"

namespace sluice::kafka_test {

ledger make_ledger(uint64_t seed, std::size_t n, std::size_t accounts, std::size_t malformed_every) {
  ledger l;
  test::rng r{seed};
  for (std::size_t i = 0; i < n; ++i) {
    if (malformed_every > 0 && i % malformed_every == malformed_every - 1) {
      auto bad = "t" + std::to_string(i) + (i % 2 ? ",no-amount" : ",acct1,12x");
      l.malformed.push_back(bad);
      l.messages.emplace_back("", bad);
      continue;
    }
    auto id = "t" + std::to_string(i);
    auto account = "acct" + std::to_string(r.below(accounts));
    auto amount = static_cast<int64_t>(r.below(150000)) - 50000;
    l.txns[id] = {account, amount};
    l.order[account].push_back(id);
    l.messages.emplace_back(account, id + "," + account + "," + std::to_string(amount));
  }
  return l;
}

namespace {

/// Splits "a,b,c,d".
std::vector<std::string> fields(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    auto comma = s.find(',', start);
    out.push_back(s.substr(start, comma - start));
    if (comma == std::string::npos)
      return out;
    start = comma + 1;
  }
}

void note(std::vector<std::string>& problems, std::map<std::string, int>& kinds, const std::string& kind,
          const std::string& detail) {
  if (++kinds[kind] <= 5)
    problems.push_back(kind + ": " + detail);
}

}  // namespace

std::vector<std::string> check_output(const ledger& l, const std::vector<message>& out, bool epochs) {
  std::vector<std::string> problems;
  std::map<std::string, int> kinds;
  std::map<std::string, int> seen;
  std::map<std::string, std::vector<std::pair<std::string, int64_t>>> rows;  // account -> (id, balance)
  std::map<std::string, int32_t> partition_of;
  std::set<std::pair<std::string, std::string>> writer_seqs;
  for (const auto& m : out) {
    auto f = fields(m.value);
    if (f.size() != 4) {
      note(problems, kinds, "malformed output row", m.value);
      continue;
    }
    const auto& [id, account, amount, balance] = std::tie(f[0], f[1], f[2], f[3]);
    auto t = l.txns.find(id);
    if (t == l.txns.end()) {
      note(problems, kinds, "row of an unknown transaction", m.value);
      continue;
    }
    ++seen[id];
    if (t->second.first != account || std::to_string(t->second.second) != amount)
      note(problems, kinds, "row does not match its transaction", m.value);
    if (!m.key || *m.key != account)
      note(problems, kinds, "row not keyed by its account", m.value);
    auto [it, fresh] = partition_of.try_emplace(account, m.partition);
    if (!fresh && it->second != m.partition)
      note(problems, kinds, "account spread over partitions", account);
    auto w = m.headers.find("sluice.writer");
    auto s = m.headers.find("sluice.seq");
    if (w == m.headers.end() || s == m.headers.end() || (epochs && !m.headers.count("sluice.epoch")))
      note(problems, kinds, "row without the sink's headers", m.value);
    else if (!writer_seqs.emplace(w->second, s->second).second)
      note(problems, kinds, "writer sequence number twice", w->second + " " + s->second);
    rows[account].emplace_back(id, std::stoll(balance));
  }
  for (const auto& [id, txn] : l.txns) {
    auto n = seen.count(id) ? seen[id] : 0;
    if (n == 0)
      note(problems, kinds, "transaction missing", id);
    else if (n > 1)
      note(problems, kinds, "transaction " + std::to_string(n) + " times", id);
  }
  if (!kinds.empty())
    return problems;  // order and balances only mean something once every row is there once
  for (const auto& [account, ids] : l.order) {
    const auto& got = rows[account];
    int64_t balance = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      balance += l.txns.at(ids[i]).second;
      if (got[i].first != ids[i]) {
        note(problems, kinds, "rows out of input order", account + " row " + std::to_string(i) +
                                                          " is " + got[i].first + ", expected " + ids[i]);
        break;
      }
      if (got[i].second != balance) {
        note(problems, kinds, "inconsistent balance", account + " after " + ids[i] + ": " +
                                                        std::to_string(got[i].second) + ", expected " +
                                                        std::to_string(balance));
        break;
      }
    }
  }
  return problems;
}

std::vector<std::string> check_dead_letters(const ledger& l, const std::string& dir) {
  std::vector<std::string> problems;
  std::map<std::string, int> seen;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    auto name = e.path().filename().string();
    if (name.empty() || name[0] == '.')
      continue;  // in progress: not committed
    std::istringstream in(test::read_file(e.path().string()));
    for (std::string line; std::getline(in, line);) {
      auto tab = line.find('\t');
      ++seen[tab == std::string::npos ? line : line.substr(tab + 1)];
    }
  }
  for (const auto& bad : l.malformed) {
    auto n = seen[bad];
    if (n != 1)
      problems.push_back("malformed line '" + bad + "' is " + std::to_string(n) + " times a dead letter");
    seen.erase(bad);
  }
  for (const auto& [line, n] : seen)
    problems.push_back("unexpected dead letter '" + line + "'");
  return problems;
}

}  // namespace sluice::kafka_test
