// `sluice checkpoints list DIR`: one line per checkpoint directory with its status, time,
// duration, state bytes and operators, then what a restart would restore — checked against
// checkpoint directories of real account_balances runs, intact and damaged.
#include <boost/test/unit_test.hpp>

#include <time.h>

#include <regex>

#include "tests/tools/support.hpp"

using namespace sluice::test;

namespace {

/// The columns of a table line: fields are separated by two spaces or more.
std::vector<std::string> columns(const std::string& line) {
  static const std::regex separator{"  +"};
  return {std::sregex_token_iterator(line.begin(), line.end(), separator, -1),
          std::sregex_token_iterator()};
}

std::string utc_iso8601(int64_t time_ms) {
  auto seconds = static_cast<time_t>(time_ms / 1000);
  tm t{};
  gmtime_r(&seconds, &t);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03d", static_cast<int>(time_ms % 1000));
  return std::string(buf) + ms + "+00:00";
}

uint64_t state_bytes(const nlohmann::json& manifest) {
  uint64_t n = 0;
  for (const auto& op : manifest["operators"])
    for (const auto& s : op["subtasks"])
      if (s.contains("state_file"))
        n += s["state_file"]["bytes"].get<uint64_t>();
  return n;
}

std::string status_of(const nlohmann::json& manifest) {
  return manifest["final"] == true ? "final" : "complete";
}

struct listing {
  run_result run;
  std::vector<std::string> lines;
};

listing list(const std::string& dir) {
  listing l{run_sluice({"checkpoints", "list", dir}), {}};
  l.lines = lines_of(l.run.out);
  return l;
}

/// The table line of checkpoint `id`, as columns; empty when there is none.
std::vector<std::string> row_of(const listing& l, uint64_t id) {
  for (std::size_t i = 1; i + 1 < l.lines.size(); ++i)
    if (auto c = columns(l.lines[i]); !c.empty() && c[0] == std::to_string(id))
      return c;
  return {};
}

void flip_a_byte(const std::string& path) {
  auto bytes = read_file(path);
  BOOST_REQUIRE(!bytes.empty());
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x20);
  write_file(path, bytes);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(checkpoints_list)

BOOST_AUTO_TEST_CASE(lists_every_completed_checkpoint_newest_last_and_the_last_one_final) {
  const auto& job = finished_job();
  auto ids = manifest_ids(job.checkpoints);
  BOOST_REQUIRE_MESSAGE(ids.size() >= 2u, "the run and its restart leave two checkpoints");
  BOOST_REQUIRE(manifest_json(job.checkpoints, ids.back())["final"] == true);
  auto l = list(job.checkpoints);
  BOOST_TEST((l.run.exited && l.run.code == 0), l.run.describe());
  BOOST_REQUIRE(l.lines.size() == ids.size() + 2);  // header, one per checkpoint, restart line
  BOOST_TEST(columns(l.lines[0]) ==
                 (std::vector<std::string>{"ID", "TIME", "DURATION_MS", "STATE_BYTES", "OPERATORS",
                                           "STATUS"}),
             boost::test_tools::per_element());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto m = manifest_json(job.checkpoints, ids[i]);
    auto expected = std::vector<std::string>{
        std::to_string(ids[i]), utc_iso8601(m["time_ms"].get<int64_t>()),
        std::to_string(m["duration_ms"].get<uint64_t>()), std::to_string(state_bytes(m)), "4",
        status_of(m)};
    BOOST_TEST(columns(l.lines[i + 1]) == expected, boost::test_tools::per_element());
  }
  BOOST_TEST(l.lines.back() == "restart restores: checkpoint " + std::to_string(ids.back()) +
                                   " (final: the job had finished)");
}

BOOST_AUTO_TEST_CASE(a_crashed_jobs_checkpoint_is_complete_and_what_a_restart_restores) {
  const auto& job = crashed_job();
  auto l = list(job.checkpoints);
  BOOST_TEST((l.run.exited && l.run.code == 0), l.run.describe());
  BOOST_REQUIRE(l.lines.size() == 3u);
  auto row = row_of(l, 1);
  BOOST_REQUIRE(row.size() == 6u);
  BOOST_TEST(row[5] == "complete");
  BOOST_TEST(l.lines.back() == "restart restores: checkpoint 1");
}

BOOST_AUTO_TEST_CASE(a_corrupted_manifest_is_damaged_and_a_restart_restores_an_older_one) {
  temp_dir scratch;
  auto dir = copy_of(finished_job().checkpoints, scratch);
  auto ids = manifest_ids(dir);
  BOOST_REQUIRE(ids.size() >= 2u);
  flip_a_byte(manifest_path(dir, ids.back()));
  auto l = list(dir);
  BOOST_TEST((l.run.exited && l.run.code == 0), "damage is reported, not a failure: "
                                                    << l.run.describe());
  auto row = row_of(l, ids.back());
  BOOST_REQUIRE(row.size() == 6u);
  BOOST_TEST(row[1] == "-", "no time from a manifest that does not read");
  BOOST_TEST(row[5].rfind("damaged: manifest", 0) == 0u, row[5]);
  for (std::size_t i = 0; i + 1 < ids.size(); ++i)
    BOOST_TEST(row_of(l, ids[i]).back() == status_of(manifest_json(dir, ids[i])));
  auto older = "restart restores: checkpoint " + std::to_string(ids[ids.size() - 2]);
  BOOST_TEST((l.lines.back() == older || l.lines.back() == older + " (final: the job had finished)"),
             l.lines.back());
}

BOOST_AUTO_TEST_CASE(a_state_file_failing_its_checksum_makes_its_checkpoint_damaged) {
  temp_dir scratch;
  auto dir = copy_of(finished_job().checkpoints, scratch);
  auto id = manifest_ids(dir).back();
  auto m = manifest_json(dir, id);
  std::string state_file = m["operators"][0]["subtasks"][0]["state_file"]["path"];
  flip_a_byte(dir + "/" + state_file);
  auto l = list(dir);
  BOOST_TEST((l.run.exited && l.run.code == 0), l.run.describe());
  auto row = row_of(l, id);
  BOOST_REQUIRE(row.size() == 6u);
  BOOST_TEST(row[5] == "damaged: state file " + state_file + " fails its checksum");
  BOOST_TEST(row[1] == utc_iso8601(m["time_ms"].get<int64_t>()), "the manifest still reads");
}

BOOST_AUTO_TEST_CASE(when_every_checkpoint_is_damaged_the_restart_line_says_it_fails) {
  temp_dir scratch;
  auto dir = copy_of(finished_job().checkpoints, scratch);
  for (auto id : manifest_ids(dir))
    write_file(manifest_path(dir, id), "{ not json");
  auto l = list(dir);
  BOOST_TEST((l.run.exited && l.run.code == 0), l.run.describe());
  for (auto id : manifest_ids(dir))
    BOOST_TEST(row_of(l, id).back() == "damaged: manifest is not valid JSON");
  BOOST_TEST(l.lines.back().rfind("restart fails: no valid checkpoint in " + dir, 0) == 0u,
             l.lines.back());
}

BOOST_AUTO_TEST_CASE(a_checkpoint_directory_without_manifest_is_incomplete) {
  temp_dir scratch;
  auto dir = copy_of(finished_job().checkpoints, scratch);
  auto ids = manifest_ids(dir);
  auto unfinished = ids.back() + 1;
  std::filesystem::create_directories(dir + "/chk-" + std::to_string(unfinished) + "/sink");
  auto l = list(dir);
  BOOST_TEST((l.run.exited && l.run.code == 0), l.run.describe());
  BOOST_REQUIRE(l.lines.size() == ids.size() + 3);
  BOOST_TEST(columns(l.lines[l.lines.size() - 2]) ==
                 (std::vector<std::string>{std::to_string(unfinished), "-", "-", "-", "-",
                                           "incomplete (no manifest)"}),
             boost::test_tools::per_element());
  BOOST_TEST(l.lines.back().find("checkpoint " + std::to_string(ids.back())) != std::string::npos,
             l.lines.back());
}

BOOST_AUTO_TEST_CASE(an_empty_directory_lists_the_header_and_a_fresh_start) {
  temp_dir dir;
  auto l = list(dir.path().string());
  BOOST_TEST((l.run.exited && l.run.code == 0), l.run.describe());
  BOOST_REQUIRE(l.lines.size() == 2u);
  BOOST_TEST(columns(l.lines[0]).front() == "ID");
  BOOST_TEST(l.lines[1].rfind("restart restores: nothing", 0) == 0u, l.lines[1]);
}

BOOST_AUTO_TEST_CASE(a_missing_directory_gives_one_line_and_exit_1) {
  temp_dir dir;
  auto missing = dir / "no-such-dir";
  auto r = run_sluice({"checkpoints", "list", missing});
  BOOST_TEST((r.exited && r.code == 1), r.describe());
  BOOST_TEST(r.err == "sluice: error: checkpoint directory " + missing + " does not exist\n");
  BOOST_TEST(r.out.empty());
}

BOOST_AUTO_TEST_SUITE_END()
