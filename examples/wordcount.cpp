// Word count, the seed example of every streaming system:
//   lines (file, directory or socket) → words → group by word → count → console or part files.
// Output lines are "word<TAB>count". With --output-mode complete each trigger's result replaces
// the previous one, so for a bounded input the output directory ends with exactly one line per
// word holding its final count.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <unordered_map>

#include "examples/words.hpp"
#include "sluice/sluice.hpp"

namespace {

/// Final counts from an output directory (the latest count of each word wins in update mode).
std::vector<std::pair<std::string, int64_t>> read_counts(const std::string& dir) {
  std::unordered_map<std::string, int64_t> counts;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (name.rfind("part-", 0) != 0)
      continue;
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line)) {
      auto tab = line.rfind('\t');
      if (tab == std::string::npos)
        continue;
      auto& c = counts[line.substr(0, tab)];
      c = std::max<int64_t>(c, std::stoll(line.substr(tab + 1)));
    }
  }
  return {counts.begin(), counts.end()};
}

void print_top(const std::string& dir, std::size_t n) {
  auto counts = read_counts(dir);
  std::size_t k = std::min(n, counts.size());
  std::partial_sort(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(k), counts.end(),
                    [](const auto& a, const auto& b) {
                      return a.second != b.second ? a.second > b.second : a.first < b.first;
                    });
  std::cout << "Top " << k << " of " << counts.size() << " distinct words:\n";
  for (std::size_t i = 0; i < k; ++i)
    std::cout << "  " << counts[i].second << "\t" << counts[i].first << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  sluice::cli cli{"wordcount", "Counts words in lines from a file, a directory or a socket."};
  std::size_t top = 0;
  cli.app().add_option("--top", top, "After the job, print the N most frequent words of --output")
      ->group("Word count");
  if (auto rc = cli.parse(argc, argv))
    return *rc;
  const auto& o = cli.options();
  if (top > 0 && o.output.empty())
    return sluice::report_error(cli.name(), "--top needs --output DIR");
  try {
    sluice::environment env{o};
    sluice::aggregate_options agg;
    agg.mode = *sluice::parse_output_mode(o.output_mode);
    agg.trigger = std::chrono::milliseconds(o.trigger_ms);
    auto counts = env.text_input()
                      .uid("lines")
                      .flat_map<std::string>(
                          [](const std::string& line, sluice::collector<std::string>& out) {
                            sluice::examples::for_each_word(
                                line, [&](std::string_view w) { out.emplace(w); });
                          },
                          "split")
                      .key_by([](const std::string& w) -> const std::string& { return w; })
                      .count(agg, "count");
    if (o.output.empty())
      counts.to_console().uid("sink");
    else
      counts.to_files(o.output).uid("sink");
    auto result = env.execute();
    if (!result.ok)
      return sluice::report_error(cli.name(), result.error);
    if (result.served_as_worker)  // results and metrics are the coordinator's
      return 0;
    if (top > 0) {
      print_top(o.output, top);
      double mb = static_cast<double>(result.bytes_read) / 1e6;
      std::cout << "Read " << mb << " MB, " << result.source_records << " lines in "
                << result.seconds << " s: " << (result.seconds > 0 ? mb / result.seconds : 0)
                << " MB/s";
      if (const auto* split = result.find("split"); split && result.seconds > 0)
        std::cout << ", " << static_cast<uint64_t>(split->records_out / result.seconds)
                  << " words/s";
      std::cout << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    return sluice::report_error(cli.name(), e.what());
  }
}
