// Word count across two workers gives the same final counts as the same job run locally: complete
// mode writes one part file per subtask, and a word goes to the same subtask (key group) wherever
// the subtask runs, so the sorted part files are equal one by one.
#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "tests/cluster/support.hpp"

using namespace sluice::cluster_test;
using namespace sluice::test;

namespace {

launch wordcount_run(const temp_dir& dir, const std::string& name) {
  launch l;
  l.binary = wordcount_binary;
  l.args = {"--input",
            kjv_path,
            "--output",
            dir / (name + "-out"),
            "--output-mode",
            "complete",
            "--checkpoint-dir",
            dir / (name + "-checkpoints"),
            "--checkpoint-interval-ms",
            "50",
            "--parallelism",
            "2"};
  l.log_prefix = dir / name;
  return l;
}

/// Each file of `dir` (in-progress ones too) by name, its lines sorted.
std::map<std::string, std::vector<std::string>> sorted_files(const std::string& dir) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& name : sluice::fault_test::file_names(dir)) {
    std::istringstream in(read_file(dir + "/" + name));
    auto& lines = out[name];
    for (std::string line; std::getline(in, line);)
      lines.push_back(line);
    std::sort(lines.begin(), lines.end());
  }
  return out;
}

std::string first_difference(const std::map<std::string, std::vector<std::string>>& local,
                             const std::map<std::string, std::vector<std::string>>& across) {
  for (const auto& [name, lines] : local) {
    auto it = across.find(name);
    if (it == across.end())
      return name + " is missing";
    if (it->second.size() != lines.size())
      return name + " has " + std::to_string(it->second.size()) + " lines, locally " +
             std::to_string(lines.size());
    auto [a, b] = std::mismatch(lines.begin(), lines.end(), it->second.begin());
    if (a != lines.end())
      return name + " has '" + *b + "' where the local run has '" + *a + "'";
  }
  for (const auto& [name, lines] : across)
    if (!local.count(name))
      return name + " (" + std::to_string(lines.size()) + " lines) is not in the local output";
  return "none";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(word_count_across_nodes)

BOOST_AUTO_TEST_CASE(two_workers_write_the_same_sorted_part_files_as_a_local_run) {
  temp_dir dir;
  auto local = wordcount_run(dir, "local");
  auto r = run_to_end(local, run_guard);
  BOOST_TEST_REQUIRE(r.succeeded(), local.command_line() << ": " << r.describe());

  auto across = wordcount_run(dir, "cluster");
  auto c = run_cluster(across, cluster_options{});
  BOOST_TEST_REQUIRE(c.succeeded(), c.describe());
  auto a = attempts(c.coordinator.err);
  BOOST_TEST_REQUIRE(a.size() == 1u, c.coordinator.err);
  BOOST_TEST(a[0].workers == 2u, "the job did not use both workers: " << c.coordinator.err);

  auto want = sorted_files(dir / "local-out");
  auto got = sorted_files(dir / "cluster-out");
  BOOST_TEST_REQUIRE(want.size() == 2u, "the local run should write part-0 and part-1");
  BOOST_TEST((got == want), "first difference: " << first_difference(want, got));
}

BOOST_AUTO_TEST_SUITE_END()
