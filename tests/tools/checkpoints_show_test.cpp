// `sluice checkpoints show DIR [ID] [--json]`: one checkpoint for reading — its operators and
// subtasks, state files, source positions and pending sink commits — or its manifest's JSON;
// damaged, incomplete and unknown checkpoints refused with one line.
#include <boost/test/unit_test.hpp>

#include "tests/fakes/messages.hpp"
#include "tests/tools/support.hpp"

using namespace sluice::test;
using nlohmann::json;

namespace {

void expect_one_line_failure(const std::vector<std::string>& args,
                             const std::vector<std::string>& named) {
  auto r = run_sluice(args);
  BOOST_TEST((r.exited && r.code == 1), r.describe());
  BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, "exactly one line: '" << r.err << "'");
  BOOST_TEST(r.err.rfind("sluice: error: ", 0) == 0u, r.err);
  for (const auto& n : named)
    BOOST_TEST(contains(r.err, n), "stderr names '" << n << "': " << r.err);
  BOOST_TEST(r.out.empty(), "nothing on stdout: " << r.out);
}

/// Every number and string inside `j` (the leaves of a subtask's "state" description).
void leaves(const json& j, std::vector<std::string>& out) {
  if (j.is_structured()) {
    for (const auto& child : j)
      leaves(child, out);
  } else {
    out.push_back(j.is_string() ? j.get<std::string>() : j.dump());
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(checkpoints_show)

BOOST_AUTO_TEST_CASE(shows_the_newest_checkpoint_by_default_with_every_operator_in_order) {
  const auto& job = finished_job();
  auto id = manifest_ids(job.checkpoints).back();
  auto m = manifest_json(job.checkpoints, id);
  auto r = run_sluice({"checkpoints", "show", job.checkpoints});
  BOOST_TEST((r.exited && r.code == 0), r.describe());
  BOOST_TEST(r.err.empty());
  auto lines = lines_of(r.out);
  BOOST_REQUIRE(lines.size() >= 4u);
  BOOST_TEST(lines[0] == "checkpoint       " + std::to_string(id));
  BOOST_TEST(contains(r.out, "\nfinal            yes"));
  BOOST_TEST(contains(r.out, "\njob              " + m["job"].get<std::string>() + "\n"));
  std::size_t at = 0;
  for (const char* uid : {"lines", "parse", "balances", "sink"}) {
    auto pos = r.out.find(std::string("\noperator ") + uid + ", parallelism ", at);
    BOOST_TEST(pos != std::string::npos, "operator " << uid << " shown after the previous one");
    at = pos == std::string::npos ? at : pos;
  }
}

BOOST_AUTO_TEST_CASE(shows_each_subtasks_key_groups_and_state_file_with_size_and_checksum) {
  const auto& job = finished_job();
  auto id = manifest_ids(job.checkpoints).back();
  auto m = manifest_json(job.checkpoints, id);
  auto r = run_sluice({"checkpoints", "show", job.checkpoints, std::to_string(id)});
  BOOST_TEST((r.exited && r.code == 0), r.describe());
  std::size_t files = 0;
  for (const auto& op : m["operators"])
    for (const auto& s : op["subtasks"]) {
      auto kg = s["key_groups"];
      BOOST_TEST(contains(r.out, "  subtask " + s["subtask"].dump() + ", key groups " +
                                     kg[0].dump() + "-" + kg[1].dump()));
      if (!s.contains("state_file"))
        continue;
      ++files;
      const auto& f = s["state_file"];
      BOOST_TEST(contains(r.out, "    state file  " + f["path"].get<std::string>() + ", " +
                                     f["bytes"].dump() + " bytes, xxh3 " +
                                     f["xxh3"].get<std::string>() + "\n"));
    }
  BOOST_TEST(files > 0u);
}

BOOST_AUTO_TEST_CASE(shows_the_source_position_and_the_sinks_pending_commits) {
  const auto& job = crashed_job();
  auto m = manifest_json(job.checkpoints, 1);
  auto r = run_sluice({"checkpoints", "show", job.checkpoints, "1"});
  BOOST_TEST((r.exited && r.code == 0), r.describe());
  BOOST_TEST(contains(r.out, "\nfinal            no\n"));
  BOOST_TEST(contains(r.out, job.input), "the source position names the input file");
  std::size_t pending = 0;
  for (const auto& op : m["operators"])
    for (const auto& s : op["subtasks"]) {
      if (!s.contains("state"))
        continue;
      std::vector<std::string> values;
      leaves(s["state"], values);
      for (const auto& v : values)
        BOOST_TEST(contains(r.out, v), op["uid"] << " state value " << v << " shown");
      if (op["uid"] == "sink")
        for (const auto& c : s["state"]["pending_commits"]) {
          ++pending;
          BOOST_TEST(contains(r.out, "\"file\": \"" + c["file"].get<std::string>() + "\""));
        }
    }
  // Holds unless the first checkpoint was triggered before the source read anything: the job
  // was killed before its sinks committed what they wrote before that checkpoint.
  BOOST_TEST(pending > 0u, "the crashed job's sink has pending commits in checkpoint 1");
  BOOST_TEST(contains(r.out, "\"pending_commits\": ["));
}

BOOST_AUTO_TEST_CASE(json_is_the_manifest_of_each_checkpoint) {
  for (const job_run* job : {&finished_job(), &crashed_job()})
    for (auto id : manifest_ids(job->checkpoints)) {
      auto r = run_sluice({"checkpoints", "show", job->checkpoints, std::to_string(id), "--json"});
      BOOST_TEST((r.exited && r.code == 0), r.describe());
      auto shown = json::parse(r.out, nullptr, false);
      BOOST_REQUIRE_MESSAGE(!shown.is_discarded(), "valid JSON: " << r.out.substr(0, 300));
      BOOST_TEST(shown == manifest_json(job->checkpoints, id), "checkpoint " << id);
    }
}

BOOST_AUTO_TEST_CASE(a_damaged_checkpoint_is_refused_and_the_default_is_the_newest_valid_one) {
  temp_dir scratch;
  auto dir = copy_of(finished_job().checkpoints, scratch);
  auto ids = manifest_ids(dir);
  BOOST_REQUIRE(ids.size() >= 2u);
  auto newest = ids.back();
  auto text = read_file(manifest_path(dir, newest));
  auto pos = text.find("\"final\": true");
  BOOST_REQUIRE(pos != std::string::npos);
  text.replace(pos, 13, "\"final\": fals");  // not JSON any more
  write_file(manifest_path(dir, newest), text);

  expect_one_line_failure({"checkpoints", "show", dir, std::to_string(newest)},
                          {"checkpoint " + std::to_string(newest), "damaged", "not valid JSON"});
  expect_one_line_failure({"checkpoints", "show", dir, std::to_string(newest), "--json"},
                          {"damaged"});
  auto r = run_sluice({"checkpoints", "show", dir, "--json"});
  BOOST_TEST((r.exited && r.code == 0), r.describe());
  auto shown = json::parse(r.out, nullptr, false);
  BOOST_TEST(shown == manifest_json(dir, ids[ids.size() - 2]), "the next older checkpoint");
  BOOST_TEST(contains(r.err, "sluice: warning: checkpoint " + std::to_string(newest)), r.err);
}

BOOST_AUTO_TEST_CASE(an_unknown_checkpoint_id_is_named) {
  const auto& dir = finished_job().checkpoints;
  auto unknown = std::to_string(manifest_ids(dir).back() + 100);
  expect_one_line_failure({"checkpoints", "show", dir, unknown}, {"no checkpoint " + unknown, dir});
}

BOOST_AUTO_TEST_CASE(an_incomplete_checkpoint_is_refused) {
  temp_dir scratch;
  auto dir = copy_of(crashed_job().checkpoints, scratch);
  std::filesystem::create_directories(dir + "/chk-2");
  expect_one_line_failure({"checkpoints", "show", dir, "2"}, {"checkpoint 2", "incomplete"});
}

BOOST_AUTO_TEST_CASE(a_directory_without_checkpoints_is_refused) {
  temp_dir dir;
  expect_one_line_failure({"checkpoints", "show", dir.path().string()},
                          {"no completed checkpoint in " + dir.path().string()});
}

BOOST_AUTO_TEST_CASE(a_directory_whose_checkpoints_are_all_damaged_is_refused_with_one_line) {
  temp_dir scratch;
  auto dir = copy_of(finished_job().checkpoints, scratch);
  auto ids = manifest_ids(dir);
  for (auto id : ids)
    write_file(manifest_path(dir, id), "");
  expect_one_line_failure({"checkpoints", "show", dir},
                          {"no valid checkpoint in " + dir, std::to_string(ids.size()), "damaged"});
}

BOOST_AUTO_TEST_CASE(a_missing_directory_gives_one_line_and_exit_1) {
  temp_dir dir;
  auto missing = dir / "no-such-dir";
  expect_one_line_failure({"checkpoints", "show", missing}, {missing, "does not exist"});
}

BOOST_AUTO_TEST_SUITE_END()
