#include "tools/checkpoint_text.hpp"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace sluice::tools {

namespace {

std::string hex(uint64_t x) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(x));
  return buf;
}

/// `text` with every line but the first indented by `indent` spaces.
std::string indent_following_lines(const std::string& text, std::size_t indent) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n')
      out.append(indent, ' ');
  }
  return out;
}

/// A subtask's description (JSON text) pretty-printed; text that is not JSON is shown as is.
std::string pretty_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? text : j.dump(2);
}

std::vector<std::string> table_row(const checkpoint_entry& e) {
  std::vector<std::string> row{std::to_string(e.id), "-", "-", "-", "-", e.status_text()};
  if (e.manifest) {
    row[1] = iso8601_local(e.manifest->time_ms);
    row[2] = std::to_string(e.manifest->duration_ms);
    row[3] = std::to_string(e.manifest->state_bytes());
    row[4] = std::to_string(e.manifest->operators.size());
  }
  return row;
}

void write_subtask(std::ostream& out, const checkpoints::subtask_state& s) {
  constexpr std::size_t value_column = 16;  // "    state file  " and friends
  out << "  subtask " << s.subtask << ", key groups " << s.key_group_first << "-"
      << s.key_group_last;
  if (s.state_file.empty() && s.external_dir.empty() && s.description.empty()) {
    out << ": no state\n";
    return;
  }
  out << "\n";
  if (!s.state_file.empty())
    out << "    state file  " << s.state_file << ", " << s.state_bytes << " bytes, xxh3 "
        << hex(s.state_checksum) << "\n";
  if (!s.external_dir.empty()) {
    out << "    external    " << s.external_dir << ", " << s.external_files.size() << " file"
        << (s.external_files.size() == 1 ? "" : "s") << "\n";
    for (const auto& f : s.external_files)
      out << std::string(value_column + 2, ' ') << f << "\n";
  }
  if (!s.description.empty())
    out << "    state       " << indent_following_lines(pretty_json(s.description), value_column)
        << "\n";
}

}  // namespace

std::string iso8601_local(int64_t time_ms) {
  auto seconds = static_cast<time_t>(time_ms / 1000);
  auto ms = static_cast<int>(time_ms % 1000);
  if (ms < 0) {
    ms += 1000;
    --seconds;
  }
  tm local{};
  if (!localtime_r(&seconds, &local))
    return std::to_string(time_ms) + " ms since the epoch";
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &local);
  long offset_min = local.tm_gmtoff / 60;
  char sign = offset_min < 0 ? '-' : '+';
  offset_min = offset_min < 0 ? -offset_min : offset_min;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s.%03d%c%02ld:%02ld", date, ms, sign, offset_min / 60,
                offset_min % 60);
  return buf;
}

void write_checkpoint_table(std::ostream& out, const std::vector<checkpoint_entry>& entries) {
  std::vector<std::vector<std::string>> rows{
      {"ID", "TIME", "DURATION_MS", "STATE_BYTES", "OPERATORS", "STATUS"}};
  for (const auto& e : entries)
    rows.push_back(table_row(e));
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size(); ++c)
      width[c] = std::max(width[c], r[c].size());
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t c = 0; c < r.size(); ++c) {
      line += r[c];
      if (c + 1 < r.size())
        line.append(width[c] - r[c].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

std::string recovery_line(const checkpoints::recovery_choice& choice) {
  if (choice.chosen)
    return "restart restores: checkpoint " + std::to_string(choice.chosen->id) +
           (choice.chosen->final ? " (final: the job had finished)" : "");
  if (!choice.error.empty())
    return "restart fails: " + choice.error;
  return "restart restores: nothing (no completed checkpoint; the job starts from the beginning)";
}

void write_manifest_text(std::ostream& out, const checkpoints::manifest& m) {
  std::size_t files = 0;
  for (const auto& op : m.operators)
    files += std::count_if(op.subtasks.begin(), op.subtasks.end(),
                           [](const auto& s) { return !s.state_file.empty(); });
  out << "checkpoint       " << m.id << "\n"
      << "time             " << iso8601_local(m.time_ms) << "\n"
      << "duration         " << m.duration_ms << " ms\n"
      << "final            " << (m.final ? "yes (the job ran to its end)" : "no") << "\n"
      << "job              " << m.job << "\n"
      << "max parallelism  " << m.max_parallelism << "\n"
      << "state            " << m.state_bytes() << " bytes in " << files << " file"
      << (files == 1 ? "" : "s") << "\n";
  for (const auto& op : m.operators) {
    out << "\noperator " << op.uid << ", parallelism " << op.parallelism << "\n";
    for (const auto& s : op.subtasks)
      write_subtask(out, s);
  }
}

}  // namespace sluice::tools
