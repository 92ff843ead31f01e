#include "tests/fault_injection/ledger.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <unordered_map>

namespace fs = std::filesystem;

namespace sluice::fault_test {

namespace {

constexpr uint8_t malformed_kinds = 7;

/// splitmix64: the same sequence on every platform and standard library.
struct splitmix64 {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

template <class Int>
bool parse_int(std::string_view s, Int& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size() && !s.empty();
}

/// "PREFIX-S-N" → (S, N).
bool parse_part_name(const std::string& name, const std::string& prefix, uint64_t& s, uint64_t& n) {
  if (name.rfind(prefix + "-", 0) != 0)
    return false;
  std::string_view rest = std::string_view(name).substr(prefix.size() + 1);
  auto dash = rest.find('-');
  return dash != std::string_view::npos && parse_int(rest.substr(0, dash), s) &&
         parse_int(rest.substr(dash + 1), n);
}

bool is_in_progress(const std::string& name) {
  return name.size() > 11 && name[0] == '.' &&
         name.compare(name.size() - 11, 11, ".inprogress") == 0;
}

/// The committed part files "PREFIX-S-N" of `dir` in the order they were written; in-progress
/// files are added to `in_progress`.
std::vector<fs::path> committed_parts(const std::string& dir, const std::string& prefix,
                                      std::vector<std::string>& in_progress) {
  std::vector<std::tuple<uint64_t, uint64_t, fs::path>> parts;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return {};
  for (const auto& e : fs::directory_iterator(dir)) {
    auto name = e.path().filename().string();
    uint64_t s = 0, n = 0;
    if (is_in_progress(name))
      in_progress.push_back(e.path().string());
    else if (parse_part_name(name, prefix, s, n))
      parts.emplace_back(s, n, e.path());
  }
  std::sort(parts.begin(), parts.end());
  std::vector<fs::path> out;
  for (auto& p : parts)
    out.push_back(std::get<2>(p));
  return out;
}

/// Calls f(line) for each line of the file.
template <class F>
void for_each_line(const fs::path& path, F&& f) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + path.string());
  std::string line;
  while (std::getline(in, line))
    f(std::string_view(line));
}

class problem_log {
 public:
  explicit problem_log(ledger_check& c) : c_(c) {}
  void note(uint64_t& counter, std::string what) {
    ++counter;
    if (c_.examples.size() < 12)
      c_.examples.push_back(std::move(what));
  }

 private:
  ledger_check& c_;
};

void check_rows(const ledger_input& input, const std::string& dir, ledger_check& c) {
  problem_log log{c};
  const auto& lines = input.lines();
  std::vector<uint8_t> seen(lines.size(), 0);
  std::vector<int64_t> balance(input.spec().accounts, 0);
  for (const auto& path : committed_parts(dir, "part", c.in_progress)) {
    uint64_t row_no = 0;
    for_each_line(path, [&](std::string_view row) {
      ++c.rows;
      ++row_no;
      auto where = [&] {
        return path.filename().string() + ":" + std::to_string(row_no) + " '" + std::string(row) +
               "'";
      };
      std::string_view f[5];  // a fifth field means too many
      int n = 0;
      for (std::size_t start = 0; n < 5;) {
        auto comma = row.find(',', start);
        f[n++] = row.substr(start, comma == std::string_view::npos ? comma : comma - start);
        if (comma == std::string_view::npos)
          break;
        start = comma + 1;
      }
      uint64_t i = 0;
      uint32_t acct = 0;
      int64_t amount = 0, bal = 0;
      if (n != 4 || f[0].empty() || f[0][0] != 't' || !parse_int(f[0].substr(1), i) ||
          i >= lines.size() || lines[i].kind != 0 || f[1].substr(0, 4) != "acct" ||
          !parse_int(f[1].substr(4), acct) || !parse_int(f[2], amount) || !parse_int(f[3], bal)) {
        log.note(c.unexpected, "not a valid transaction of the input: " + where());
        return;
      }
      if (acct != lines[i].account || amount != lines[i].amount) {
        log.note(c.altered, "differs from input line " + std::to_string(i) + " '" + input.text(i) +
                                "': " + where());
        return;
      }
      if (seen[i]++ > 0) {
        log.note(c.duplicated, "transaction t" + std::to_string(i) + " again: " + where());
        return;
      }
      if (bal - amount != balance[acct])
        log.note(c.broken_chain, "acct" + std::to_string(acct) + " had balance " +
                                     std::to_string(balance[acct]) + " before " + where());
      balance[acct] = bal;
    });
  }
  std::vector<int64_t> sum(input.spec().accounts, 0);
  for (uint64_t i = 0; i < lines.size(); ++i) {
    if (lines[i].kind != 0)
      continue;
    sum[lines[i].account] += lines[i].amount;
    if (seen[i] == 0)
      log.note(c.missing, "transaction t" + std::to_string(i) + " '" + input.text(i) + "' missing");
  }
  for (uint32_t a = 0; a < sum.size(); ++a)
    if (balance[a] != sum[a])
      log.note(c.wrong_final, "acct" + std::to_string(a) + " ends at " +
                                  std::to_string(balance[a]) + ", its amounts sum to " +
                                  std::to_string(sum[a]));
}

void check_dead_letters(const ledger_input& input, const std::string& dir, ledger_check& c) {
  problem_log log{c};
  std::unordered_map<std::string, uint64_t> malformed;  // text → line index
  for (uint64_t i = 0; i < input.lines().size(); ++i)
    if (input.lines()[i].kind != 0)
      malformed.emplace(input.text(i), i);
  std::unordered_map<uint64_t, uint32_t> seen;
  for (const auto& path : committed_parts(dir, "parse", c.in_progress)) {
    for_each_line(path, [&](std::string_view dl) {
      ++c.dead_letters;
      auto tab = dl.find('\t');
      auto it = tab == std::string_view::npos ? malformed.end()
                                              : malformed.find(std::string(dl.substr(tab + 1)));
      if (it == malformed.end()) {
        log.note(c.dead_unexpected, "dead letter of no malformed line: " +
                                        path.filename().string() + " '" + std::string(dl) + "'");
        return;
      }
      if (seen[it->second]++ > 0) {
        log.note(c.dead_duplicated,
                 "dead letter again: " + path.filename().string() + " '" + std::string(dl) + "'");
        return;
      }
      if (dl.substr(0, tab) != input.reason(it->second))
        log.note(c.dead_wrong_reason, "dead letter '" + std::string(dl) + "' should give reason '" +
                                          input.reason(it->second) + "'");
    });
  }
  for (const auto& [text, i] : malformed)
    if (!seen.count(i))
      log.note(c.dead_missing, "no dead letter for line " + std::to_string(i) + " '" + text + "'");
}

}  // namespace

ledger_input::ledger_input(const ledger_spec& spec, std::string path)
    : spec_(spec), path_(std::move(path)) {
  if (spec.accounts == 0 || spec.accounts > 65535 || spec.malformed_every == 0)
    throw std::invalid_argument("ledger_spec: accounts in 1..65535, malformed_every > 0");
  splitmix64 rng{spec.seed};
  lines_.resize(spec.lines);
  std::FILE* f = std::fopen(path_.c_str(), "wb");
  if (!f)
    throw std::runtime_error("cannot create " + path_);
  std::string buf;
  for (uint64_t i = 0; i < spec.lines; ++i) {
    auto& l = lines_[i];
    l.account = static_cast<uint16_t>(rng.next() % spec.accounts);
    l.amount = static_cast<int16_t>(static_cast<int64_t>(rng.next() % 10001) - 5000);
    if (i >= spec.malformed_from && i % spec.malformed_every == spec.malformed_at)
      l.kind = static_cast<uint8_t>(1 + (i / spec.malformed_every) % malformed_kinds);
    else
      ++valid_;
    buf += text(i);
    buf += '\n';
    if (buf.size() > (1u << 20)) {
      std::fwrite(buf.data(), 1, buf.size(), f);
      buf.clear();
    }
  }
  std::fwrite(buf.data(), 1, buf.size(), f);
  if (std::fclose(f) != 0)
    throw std::runtime_error("cannot write " + path_);
}

std::string ledger_input::text(uint64_t i) const {
  const auto& l = lines_[i];
  std::string id = "t", acct = "acct";  // (appended: GCC 12 warns falsely on "t" + to_string)
  id += std::to_string(i);
  acct += std::to_string(l.account);
  auto amount = std::to_string(l.amount);
  switch (l.kind) {
    case 0:
      return id + "," + acct + "," + amount;
    case 1:
      return id + "," + acct;
    case 2:
      return id + "," + acct + "," + amount + ",7";
    case 3:
      return "," + acct + "," + std::to_string(i);
    case 4:
      return id + ",," + amount;
    case 5:
      return id + "," + acct + "," + amount + "x";
    case 6:
      return id + "," + acct + ",9999999999999999999" + std::to_string(i % 10);
    default:
      return id + "," + acct + ",";
  }
}

std::string ledger_input::reason(uint64_t i) const {
  switch (lines_[i].kind) {
    case 0:
      return {};
    case 1:
    case 2:
      return "expected 3 comma-separated fields";
    case 3:
      return "empty txn_id";
    case 4:
      return "empty account";
    case 6:
      return "amount out of range";
    default:
      return "amount is not an integer";
  }
}

bool ledger_check::exactly_once() const {
  return rows > 0 && missing + duplicated + unexpected + altered + broken_chain + wrong_final +
                             dead_missing + dead_duplicated + dead_unexpected + dead_wrong_reason ==
                         0;
}

bool ledger_check::ok() const {
  return exactly_once() && in_progress.empty();
}

std::string ledger_check::describe() const {
  std::string s = std::to_string(rows) + " rows: " + std::to_string(missing) + " missing, " +
                  std::to_string(duplicated) + " duplicated, " + std::to_string(unexpected) +
                  " unexpected, " + std::to_string(altered) + " altered, " +
                  std::to_string(broken_chain) + " breaking their account's balance chain, " +
                  std::to_string(wrong_final) + " accounts with a wrong final balance; " +
                  std::to_string(dead_letters) + " dead letters: " + std::to_string(dead_missing) +
                  " missing, " + std::to_string(dead_duplicated) + " duplicated, " +
                  std::to_string(dead_unexpected) + " unexpected, " +
                  std::to_string(dead_wrong_reason) + " with a wrong reason; " +
                  std::to_string(in_progress.size()) + " in-progress files left";
  for (const auto& f : in_progress)
    s += "\n  left in progress: " + f;
  for (const auto& e : examples)
    s += "\n  " + e;
  return s;
}

ledger_check check_ledger_output(const ledger_input& input, const std::string& output_dir,
                                 const std::string& dead_letter_dir) {
  ledger_check c;
  check_rows(input, output_dir, c);
  check_dead_letters(input, dead_letter_dir, c);
  return c;
}

}  // namespace sluice::fault_test
