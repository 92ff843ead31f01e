// Checkpoint storage (checkpoints/storage.hpp): a checkpoint exists only with its manifest,
// verification finds every kind of missing or damaged file the manifest names, retention keeps
// the newest completed checkpoints, and recovery picks the newest valid one, saying what it skipped.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "checkpoints/manifest.hpp"
#include "checkpoints/storage.hpp"
#include "tests/checkpoints/support.hpp"
#include "tests/fakes/messages.hpp"
#include "tests/fakes/temp_dir.hpp"

namespace fs = std::filesystem;
using sluice::checkpoints::checkpoint_storage;
using sluice::checkpoints::choose_recovery;
using sluice::checkpoints::manifest;
using sluice::checkpoints::operator_state_entry;
using sluice::checkpoints::subtask_state;
using sluice::test::contains;
using sluice::test::error_of;
using sluice::test::read_file;
using sluice::test::temp_dir;
using sluice::test::write_file;
using sluice::test::write_state_file;
using ids = std::vector<uint64_t>;

namespace {

/// Writes checkpoint `id` as tasks and the coordinator would: a state file and two external files
/// for operator "count", then the manifest. Returns the manifest.
manifest write_checkpoint(const checkpoint_storage& storage, uint64_t id) {
  subtask_state st;
  st.subtask = 0;
  st.key_group_last = 127;
  write_state_file(storage, id, st, 5, "state of checkpoint " + std::to_string(id));
  st.external_dir = checkpoint_storage::relative_path(id, "count", 0, ".rocksdb");
  st.external_files = {"000007.sst", "CURRENT"};
  fs::create_directories(storage.dir() + "/" + st.external_dir);
  for (const auto& f : st.external_files)
    write_file(storage.dir() + "/" + st.external_dir + "/" + f, "x");
  manifest m;
  m.id = id;
  m.job = "count;";
  m.max_parallelism = 128;
  m.operators = {operator_state_entry{"count", 1, {st}}};
  storage.complete(m);
  return m;
}

/// Leaves checkpoint `id` incomplete: state written, no manifest.
void write_incomplete(const checkpoint_storage& storage, uint64_t id) {
  auto dir = storage.checkpoint_dir(id) + "/count";
  fs::create_directories(dir);
  write_file(dir + "/0.state", "partial");
}

const subtask_state& only_subtask(const manifest& m) { return m.operators.at(0).subtasks.at(0); }

/// The message of the std::runtime_error load_verified throws, or "" when it verifies.
std::string rejection(const checkpoint_storage& storage, uint64_t id) {
  return error_of([&] { storage.load_verified(id); });
}

bool exists(const checkpoint_storage& storage, uint64_t id) {
  return fs::exists(storage.checkpoint_dir(id));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(checkpoint_storage_layout)

BOOST_AUTO_TEST_CASE(paths_follow_the_documented_layout) {
  checkpoint_storage storage("/ckpt");
  BOOST_TEST(storage.checkpoint_dir(7) == "/ckpt/chk-7");
  BOOST_TEST(checkpoint_storage::relative_path(7, "count", 2, ".state") == "chk-7/count/2.state");
  BOOST_TEST(checkpoint_storage::relative_path(7, "count", 0, ".rocksdb") ==
             "chk-7/count/0.rocksdb");
}

BOOST_AUTO_TEST_CASE(list_completed_lists_only_dirs_with_a_manifest_in_ascending_order) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  write_checkpoint(storage, 10);
  write_checkpoint(storage, 2);
  write_incomplete(storage, 3);
  write_incomplete(storage, 11);
  fs::create_directories(dir.str() + "/chk-x");
  fs::create_directories(dir.str() + "/chk-");
  fs::create_directories(dir.str() + "/other");
  write_file(dir.str() + "/chk-12", "a file, not a checkpoint");
  BOOST_TEST((storage.list_completed() == ids{2, 10}));
  BOOST_TEST(storage.max_id() == 11u);
}

BOOST_AUTO_TEST_CASE(a_missing_checkpoint_dir_has_no_checkpoints) {
  temp_dir dir;
  checkpoint_storage storage(dir.str() + "/never-created");
  BOOST_TEST(storage.list_completed().empty());
  BOOST_TEST(storage.max_id() == 0u);
  auto r = choose_recovery(storage);
  BOOST_TEST(!r.chosen.has_value());
  BOOST_TEST(r.warnings.empty());
  BOOST_TEST(r.error.empty());
}

BOOST_AUTO_TEST_CASE(complete_writes_the_manifest_and_no_temp_file) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  manifest m;
  m.id = 4;
  m.job = "j";
  storage.complete(m);  // creates chk-4 when no task wrote anything
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(storage.checkpoint_dir(4)))
    names.push_back(e.path().filename().string());
  BOOST_TEST((names == std::vector<std::string>{"manifest.json"}));
  BOOST_TEST(storage.load(4).job == "j");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(checkpoint_verification)

BOOST_AUTO_TEST_CASE(an_intact_checkpoint_verifies) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  auto written = write_checkpoint(storage, 1);
  auto m = storage.load_verified(1);
  BOOST_TEST(m.id == 1u);
  BOOST_TEST(only_subtask(m).state_checksum == only_subtask(written).state_checksum);
}

BOOST_AUTO_TEST_CASE(a_missing_state_file_is_detected) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  auto m = write_checkpoint(storage, 1);
  fs::remove(dir.str() + "/" + only_subtask(m).state_file);
  auto why = rejection(storage, 1);
  BOOST_TEST(contains(why, only_subtask(m).state_file), why);
  BOOST_TEST(contains(why, "missing"), why);
}

BOOST_AUTO_TEST_CASE(a_state_file_of_another_size_is_detected) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  auto m = write_checkpoint(storage, 1);
  auto path = dir.str() + "/" + only_subtask(m).state_file;
  write_file(path, read_file(path) + "more");
  auto why = rejection(storage, 1);
  BOOST_TEST(contains(why, only_subtask(m).state_file), why);
  BOOST_TEST(contains(why, std::to_string(only_subtask(m).state_bytes + 4) + " bytes"), why);
}

BOOST_AUTO_TEST_CASE(a_state_file_with_a_flipped_byte_fails_its_checksum) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  auto m = write_checkpoint(storage, 1);
  auto path = dir.str() + "/" + only_subtask(m).state_file;
  auto bytes = read_file(path);
  bytes[bytes.size() / 2] ^= 0x01;
  write_file(path, bytes);
  auto why = rejection(storage, 1);
  BOOST_TEST(contains(why, only_subtask(m).state_file), why);
  BOOST_TEST(contains(why, "checksum"), why);
}

BOOST_AUTO_TEST_CASE(a_missing_external_file_is_detected) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  auto m = write_checkpoint(storage, 1);
  fs::remove(dir.str() + "/" + only_subtask(m).external_dir + "/CURRENT");
  auto why = rejection(storage, 1);
  BOOST_TEST(contains(why, only_subtask(m).external_dir + "/CURRENT"), why);
  BOOST_TEST(contains(why, "missing"), why);
}

BOOST_AUTO_TEST_CASE(a_damaged_manifest_is_detected) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  write_checkpoint(storage, 1);
  auto path = storage.checkpoint_dir(1) + "/manifest.json";
  auto text = read_file(path);
  auto at = text.find("\"max_parallelism\": 128");
  BOOST_REQUIRE(at != std::string::npos);
  write_file(path, text.replace(at, 22, "\"max_parallelism\": 127"));
  BOOST_TEST(contains(rejection(storage, 1), "checksum"));
}

BOOST_AUTO_TEST_CASE(a_manifest_naming_another_checkpoint_is_refused) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  write_checkpoint(storage, 1);
  fs::create_directories(storage.checkpoint_dir(2));
  fs::copy_file(storage.checkpoint_dir(1) + "/manifest.json",
                storage.checkpoint_dir(2) + "/manifest.json");
  BOOST_CHECK_THROW(storage.load(2), std::runtime_error);
  BOOST_TEST(contains(rejection(storage, 2), "checkpoint 1"));
}

BOOST_AUTO_TEST_CASE(a_checkpoint_without_a_manifest_cannot_be_loaded) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  write_incomplete(storage, 1);
  BOOST_CHECK_THROW(storage.load(1), std::runtime_error);
  BOOST_TEST(contains(rejection(storage, 1), "manifest"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(checkpoint_retention)

BOOST_AUTO_TEST_CASE(retain_keeps_the_newest_completed_and_deletes_older_and_incomplete_ones) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  for (uint64_t id : {1, 2, 4, 5, 7})
    write_checkpoint(storage, id);
  for (uint64_t id : {3, 6, 8})
    write_incomplete(storage, id);
  storage.retain(2);
  BOOST_TEST((storage.list_completed() == ids{5, 7}));
  for (uint64_t id : {1, 2, 3, 4, 6})
    BOOST_TEST(!exists(storage, id), "chk-" << id << " was kept");
  // Newer than every completed checkpoint: possibly still in progress.
  BOOST_TEST(exists(storage, 8));
  BOOST_TEST(storage.load_verified(5).id == 5u);
  BOOST_TEST(storage.load_verified(7).id == 7u);
}

BOOST_AUTO_TEST_CASE(retain_keeps_everything_when_fewer_are_completed) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  write_checkpoint(storage, 1);
  write_checkpoint(storage, 2);
  storage.retain(3);
  BOOST_TEST((storage.list_completed() == ids{1, 2}));
}

BOOST_AUTO_TEST_CASE(retain_without_completed_checkpoints_deletes_nothing) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  write_incomplete(storage, 1);
  write_incomplete(storage, 2);
  storage.retain(1);
  BOOST_TEST(exists(storage, 1));
  BOOST_TEST(exists(storage, 2));
}

BOOST_AUTO_TEST_CASE(retain_leaves_other_entries_of_the_dir_alone) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  fs::create_directories(dir.str() + "/_work");
  write_checkpoint(storage, 1);
  write_checkpoint(storage, 2);
  storage.retain(1);
  BOOST_TEST(fs::exists(dir.str() + "/_work"));
  BOOST_TEST((storage.list_completed() == ids{2}));
}

// retain(0) indexes one past the end of the completed list (storage.cpp, retain): undefined
// behaviour instead of keeping none. coordinator_options::retained and options::
// checkpoints_retained accept 0; only the CLI refuses it.
// Recovery always needs the newest completed checkpoint, so retaining zero keeps it anyway.
BOOST_AUTO_TEST_CASE(retaining_zero_still_keeps_the_newest_checkpoint) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  write_checkpoint(storage, 1);
  write_checkpoint(storage, 2);
  storage.retain(0);
  BOOST_TEST(storage.list_completed() == std::vector<uint64_t>{2});
}

BOOST_AUTO_TEST_CASE(discard_deletes_the_checkpoint_dir) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  write_incomplete(storage, 3);
  storage.discard(3);
  BOOST_TEST(!exists(storage, 3));
  storage.discard(99);  // nothing there: no error
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(recovery_choice)

BOOST_AUTO_TEST_CASE(the_newest_valid_checkpoint_is_chosen_without_warnings) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  write_checkpoint(storage, 1);
  write_checkpoint(storage, 2);
  write_incomplete(storage, 3);  // in progress when the job died: not a damaged checkpoint
  auto r = choose_recovery(storage);
  BOOST_REQUIRE(r.chosen.has_value());
  BOOST_TEST(r.chosen->id == 2u);
  BOOST_TEST(r.warnings.empty());
  BOOST_TEST(r.error.empty());
}

BOOST_AUTO_TEST_CASE(each_damaged_newer_checkpoint_is_skipped_with_a_warning) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  write_checkpoint(storage, 1);
  write_checkpoint(storage, 2);
  auto m3 = write_checkpoint(storage, 3);
  auto m4 = write_checkpoint(storage, 4);
  fs::remove(dir.str() + "/" + only_subtask(m4).state_file);
  fs::remove(dir.str() + "/" + only_subtask(m3).external_dir + "/CURRENT");
  auto r = choose_recovery(storage);
  BOOST_REQUIRE(r.chosen.has_value());
  BOOST_TEST(r.chosen->id == 2u);
  BOOST_TEST(r.error.empty());
  BOOST_REQUIRE(r.warnings.size() == 2u);
  BOOST_TEST(contains(r.warnings[0], "checkpoint 4"), r.warnings[0]);
  BOOST_TEST(contains(r.warnings[0], only_subtask(m4).state_file), r.warnings[0]);
  BOOST_TEST(contains(r.warnings[0], dir.str()), r.warnings[0]);
  BOOST_TEST(contains(r.warnings[1], "checkpoint 3"), r.warnings[1]);
  BOOST_TEST(contains(r.warnings[1], "CURRENT"), r.warnings[1]);
}

BOOST_AUTO_TEST_CASE(no_valid_checkpoint_is_an_error_naming_the_dir) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  auto m1 = write_checkpoint(storage, 1);
  auto m2 = write_checkpoint(storage, 2);
  fs::remove(dir.str() + "/" + only_subtask(m1).state_file);
  fs::remove(dir.str() + "/" + only_subtask(m2).state_file);
  auto r = choose_recovery(storage);
  BOOST_TEST(!r.chosen.has_value());
  BOOST_TEST(r.warnings.size() == 2u);
  BOOST_TEST(contains(r.error, dir.str()), r.error);
  BOOST_TEST(contains(r.error, "checkpoint 2"), r.error);
}

BOOST_AUTO_TEST_CASE(only_incomplete_checkpoints_mean_nothing_to_recover_and_no_error) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  write_incomplete(storage, 1);
  auto r = choose_recovery(storage);
  BOOST_TEST(!r.chosen.has_value());
  BOOST_TEST(r.warnings.empty());
  BOOST_TEST(r.error.empty());
}

BOOST_AUTO_TEST_SUITE_END()
