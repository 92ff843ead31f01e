// A checkpoint's life cycle (checkpoints/pending_checkpoint.hpp, checkpoint_coordinator.hpp):
// acks answered success / duplicate / unknown / discarded; completion only when every task
// acked, and only then a manifest on disk; abort by decline or timeout deletes what was written;
// the final checkpoint waits however long it takes; retention follows each completion.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "checkpoints/ack.hpp"
#include "checkpoints/checkpoint_coordinator.hpp"
#include "checkpoints/manifest.hpp"
#include "checkpoints/pending_checkpoint.hpp"
#include "checkpoints/storage.hpp"
#include "tests/checkpoints/support.hpp"
#include "tests/fakes/temp_dir.hpp"

namespace fs = std::filesystem;
using sluice::checkpoints::ack_result;
using sluice::checkpoints::checkpoint_coordinator;
using sluice::checkpoints::checkpoint_storage;
using sluice::checkpoints::coordinator_options;
using sluice::checkpoints::manifest;
using sluice::checkpoints::operator_ack;
using sluice::checkpoints::pending_checkpoint;
using sluice::checkpoints::task_ack;
using sluice::test::temp_dir;
using sluice::test::write_state_file;
using ids = std::vector<uint64_t>;

namespace {

/// The ack of a task running subtask `subtask` of operator "count", after writing its state file
/// into checkpoint `id` as a task does at a barrier.
task_ack written_ack(const checkpoint_storage& storage, uint64_t id, uint32_t subtask,
                     uint32_t parallelism) {
  operator_ack op;
  op.uid = "count";
  op.parallelism = parallelism;
  op.state.subtask = subtask;
  op.state.key_group_first = subtask * 64;
  op.state.key_group_last = subtask * 64 + 63;
  write_state_file(storage, id, op.state, subtask * 64, "subtask " + std::to_string(subtask));
  return {op};
}

/// An ack naming no state (a task whose operators keep none).
task_ack stateless_ack(uint32_t subtask) {
  operator_ack op;
  op.uid = "map";
  op.parallelism = 2;
  op.state.subtask = subtask;
  return {op};
}

/// How an ack was answered, printable in a failed assertion.
std::string answer(ack_result r) { return to_string(r); }

bool has_manifest(const checkpoint_storage& storage, uint64_t id) {
  return fs::exists(storage.checkpoint_dir(id) + "/manifest.json");
}

coordinator_options options(uint32_t timeout_ms = 60000, uint32_t retained = 3) {
  coordinator_options o;
  o.interval_ms = 1000;
  o.timeout_ms = timeout_ms;
  o.retained = retained;
  return o;
}

/// Sleeps well past a 1 ms timeout; tests assert on what expire() does, not on time.
void outlast_a_millisecond() { std::this_thread::sleep_for(std::chrono::milliseconds(20)); }

}  // namespace

BOOST_AUTO_TEST_SUITE(pending_checkpoint_acks)

BOOST_AUTO_TEST_CASE(a_first_ack_succeeds_and_a_second_from_the_same_task_is_a_duplicate) {
  pending_checkpoint p(1, 2, false, pending_checkpoint::clock::now());
  BOOST_TEST(!p.acknowledged(0));
  BOOST_TEST(answer(p.acknowledge(0, stateless_ack(0))) == "success");
  BOOST_TEST(p.acknowledged(0));
  BOOST_TEST(answer(p.acknowledge(0, stateless_ack(0))) == "duplicate");
  BOOST_TEST(!p.fully_acknowledged());
}

BOOST_AUTO_TEST_CASE(an_ack_from_a_task_outside_the_checkpoint_is_unknown) {
  pending_checkpoint p(1, 2, false, pending_checkpoint::clock::now());
  BOOST_TEST(answer(p.acknowledge(2, stateless_ack(2))) == "unknown");
  BOOST_TEST(answer(p.acknowledge(1000, stateless_ack(0))) == "unknown");
  BOOST_TEST(!p.fully_acknowledged());
}

BOOST_AUTO_TEST_CASE(it_is_fully_acknowledged_only_when_every_task_acked) {
  pending_checkpoint p(1, 3, false, pending_checkpoint::clock::now());
  p.acknowledge(2, stateless_ack(2));
  BOOST_TEST(!p.fully_acknowledged());
  p.acknowledge(0, stateless_ack(0));
  p.acknowledge(0, stateless_ack(0));  // a duplicate does not count twice
  BOOST_TEST(!p.fully_acknowledged());
  p.acknowledge(1, stateless_ack(1));
  BOOST_TEST(p.fully_acknowledged());
}

BOOST_AUTO_TEST_CASE(the_manifest_groups_subtasks_by_operator_in_subtask_order) {
  pending_checkpoint p(9, 2, true, pending_checkpoint::clock::now());
  auto ack_of = [](uint32_t subtask) {
    operator_ack src;
    src.uid = "src";
    src.parallelism = 2;
    src.state.subtask = subtask;
    src.state.description = R"({"offset":)" + std::to_string(subtask) + "}";
    operator_ack count;
    count.uid = "count";
    count.parallelism = 2;
    count.state.subtask = subtask;
    return task_ack{src, count};
  };
  p.acknowledge(0, ack_of(1));  // task 0 runs subtask 1
  p.acknowledge(1, ack_of(0));
  auto m = p.to_manifest("src(source);count;", 128);
  BOOST_TEST(m.id == 9u);
  BOOST_TEST(m.job == "src(source);count;");
  BOOST_TEST(m.max_parallelism == 128u);
  BOOST_TEST(m.final);
  BOOST_REQUIRE(m.operators.size() == 2u);
  for (const auto* uid : {"src", "count"}) {
    const auto* op = m.find(uid);
    BOOST_REQUIRE(op);
    BOOST_TEST(op->parallelism == 2u);
    BOOST_REQUIRE(op->subtasks.size() == 2u);
    BOOST_TEST(op->subtasks[0].subtask == 0u);
    BOOST_TEST(op->subtasks[1].subtask == 1u);
  }
  BOOST_TEST(m.find("src")->subtasks[1].description == R"({"offset":1})");
}

BOOST_AUTO_TEST_CASE(ack_results_have_readable_names) {
  BOOST_TEST(std::string(to_string(ack_result::success)) == "success");
  BOOST_TEST(std::string(to_string(ack_result::duplicate)) == "duplicate");
  BOOST_TEST(std::string(to_string(ack_result::unknown)) == "unknown");
  BOOST_TEST(std::string(to_string(ack_result::discarded)) == "discarded");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(checkpoint_coordination)

BOOST_AUTO_TEST_CASE(one_checkpoint_is_pending_at_a_time_with_consecutive_ids) {
  temp_dir dir;
  checkpoint_coordinator c(checkpoint_storage{dir.str()}, "job", 128, 1, 5, options());
  BOOST_TEST(!c.pending());
  BOOST_TEST((c.trigger() == std::optional<uint64_t>{5}));
  BOOST_TEST(!c.trigger().has_value());
  BOOST_REQUIRE(c.pending());
  BOOST_TEST(c.pending()->id() == 5u);
  BOOST_TEST(answer(c.acknowledge(5, 0, stateless_ack(0))) == "success");
  BOOST_REQUIRE(c.try_complete().has_value());
  BOOST_TEST((c.trigger() == std::optional<uint64_t>{6}));
}

BOOST_AUTO_TEST_CASE(acks_are_answered_success_duplicate_unknown_and_discarded) {
  temp_dir dir;
  checkpoint_coordinator c(checkpoint_storage{dir.str()}, "job", 128, 2, 1, options());
  BOOST_TEST(answer(c.acknowledge(1, 0, stateless_ack(0))) == "unknown");  // not triggered yet
  auto id = c.trigger().value();
  BOOST_TEST(answer(c.acknowledge(id, 0, stateless_ack(0))) == "success");
  BOOST_TEST(answer(c.acknowledge(id, 0, stateless_ack(0))) == "duplicate");
  BOOST_TEST(answer(c.acknowledge(id, 7, stateless_ack(7))) == "unknown");
  BOOST_TEST(answer(c.acknowledge(id + 1, 1, stateless_ack(1))) == "unknown");
  BOOST_REQUIRE(c.decline(id, "disk full").has_value());
  BOOST_TEST(answer(c.acknowledge(id, 1, stateless_ack(1))) == "discarded");
}

BOOST_AUTO_TEST_CASE(nothing_completes_and_no_manifest_is_written_until_every_task_acked) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  checkpoint_coordinator c(storage, "job", 128, 2, 1, options());
  BOOST_TEST(!c.try_complete().has_value());  // nothing pending
  auto id = c.trigger().value();
  BOOST_TEST(!c.try_complete().has_value());
  c.acknowledge(id, 1, written_ack(storage, id, 1, 2));
  BOOST_TEST(!c.try_complete().has_value());
  BOOST_TEST(!has_manifest(storage, id));
  BOOST_TEST(storage.list_completed().empty());
  BOOST_TEST(c.completed() == 0u);
  BOOST_TEST(c.pending());

  c.acknowledge(id, 0, written_ack(storage, id, 0, 2));
  auto m = c.try_complete();
  BOOST_REQUIRE(m.has_value());
  BOOST_TEST(has_manifest(storage, id));
  BOOST_TEST((storage.list_completed() == ids{id}));
}

BOOST_AUTO_TEST_CASE(a_completed_checkpoint_has_a_verified_manifest_of_every_tasks_state) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  checkpoint_coordinator c(storage, "job", 128, 2, 1, options());
  auto id = c.trigger().value();
  c.acknowledge(id, 0, written_ack(storage, id, 0, 2));
  c.acknowledge(id, 1, written_ack(storage, id, 1, 2));
  auto m = c.try_complete();
  BOOST_REQUIRE(m.has_value());
  BOOST_TEST(!c.pending());
  BOOST_TEST(c.completed() == 1u);
  BOOST_TEST(c.failed() == 0u);
  BOOST_REQUIRE(c.last_completed().has_value());
  BOOST_TEST(c.last_completed()->id == id);
  BOOST_TEST(!m->final);

  auto on_disk = storage.load_verified(id);
  BOOST_TEST(on_disk.job == "job");
  BOOST_TEST(on_disk.max_parallelism == 128u);
  BOOST_REQUIRE(on_disk.find("count"));
  BOOST_REQUIRE(on_disk.find("count")->subtasks.size() == 2u);
  BOOST_TEST(on_disk.find("count")->subtasks[1].key_group_first == 64u);
  BOOST_TEST(!c.try_complete().has_value());  // completes once
}

BOOST_AUTO_TEST_CASE(a_late_ack_for_a_completed_checkpoint_is_discarded) {
  temp_dir dir;
  checkpoint_coordinator c(checkpoint_storage{dir.str()}, "job", 128, 1, 1, options());
  auto id = c.trigger().value();
  c.acknowledge(id, 0, stateless_ack(0));
  BOOST_REQUIRE(c.try_complete().has_value());
  BOOST_TEST(answer(c.acknowledge(id, 0, stateless_ack(0))) == "discarded");
}

BOOST_AUTO_TEST_CASE(a_declined_checkpoint_is_aborted_and_its_directory_deleted) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  checkpoint_coordinator c(storage, "job", 128, 2, 1, options());
  auto id = c.trigger().value();
  c.acknowledge(id, 0, written_ack(storage, id, 0, 2));
  BOOST_REQUIRE(fs::exists(storage.checkpoint_dir(id)));
  auto failure = c.decline(id, "count 1/2: disk full");
  BOOST_REQUIRE(failure.has_value());
  BOOST_TEST(failure->id == id);
  BOOST_TEST(failure->reason.find("disk full") != std::string::npos, failure->reason);
  BOOST_TEST(!fs::exists(storage.checkpoint_dir(id)));
  BOOST_TEST(!c.pending());
  BOOST_TEST(c.failed() == 1u);
  BOOST_TEST(c.completed() == 0u);
  BOOST_TEST(!c.try_complete().has_value());
  BOOST_TEST((c.trigger() == std::optional<uint64_t>{id + 1}));  // the job goes on
}

BOOST_AUTO_TEST_CASE(declining_a_checkpoint_that_is_not_pending_changes_nothing) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  checkpoint_coordinator c(storage, "job", 128, 1, 1, options());
  BOOST_TEST(!c.decline(1, "early").has_value());
  auto id = c.trigger().value();
  c.acknowledge(id, 0, written_ack(storage, id, 0, 1));
  BOOST_TEST(!c.decline(id + 1, "other").has_value());
  BOOST_TEST(c.failed() == 0u);
  BOOST_TEST(fs::exists(storage.checkpoint_dir(id)));
  BOOST_TEST(c.try_complete().has_value());
}

BOOST_AUTO_TEST_CASE(a_checkpoint_past_its_timeout_expires_and_its_directory_is_deleted) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  checkpoint_coordinator c(storage, "job", 128, 2, 1, options(1));
  auto id = c.trigger().value();
  c.acknowledge(id, 0, written_ack(storage, id, 0, 2));
  outlast_a_millisecond();
  auto failure = c.expire();
  BOOST_REQUIRE(failure.has_value());
  BOOST_TEST(failure->id == id);
  BOOST_TEST(failure->reason.find("timed out") != std::string::npos, failure->reason);
  BOOST_TEST(!fs::exists(storage.checkpoint_dir(id)));
  BOOST_TEST(!c.pending());
  BOOST_TEST(c.failed() == 1u);
  BOOST_TEST(answer(c.acknowledge(id, 1, stateless_ack(1))) == "discarded");
  BOOST_TEST(!c.try_complete().has_value());
}

BOOST_AUTO_TEST_CASE(a_checkpoint_within_its_timeout_does_not_expire) {
  temp_dir dir;
  checkpoint_coordinator c(checkpoint_storage{dir.str()}, "job", 128, 1, 1,
                           options(3600 * 1000));
  auto id = c.trigger().value();
  BOOST_TEST(!c.expire().has_value());
  BOOST_REQUIRE(c.pending());
  BOOST_TEST(c.pending()->id() == id);
  BOOST_TEST(c.failed() == 0u);
}

BOOST_AUTO_TEST_CASE(the_final_checkpoint_never_expires) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  checkpoint_coordinator c(storage, "job", 128, 1, 1, options(1));
  auto id = c.trigger(true).value();
  outlast_a_millisecond();
  BOOST_TEST(!c.expire().has_value());
  BOOST_REQUIRE(c.pending());
  BOOST_TEST(c.pending()->final());
  c.acknowledge(id, 0, written_ack(storage, id, 0, 1));
  auto m = c.try_complete();
  BOOST_REQUIRE(m.has_value());
  BOOST_TEST(m->final);
  BOOST_TEST(storage.load_verified(id).final);
  BOOST_TEST(c.failed() == 0u);
}

BOOST_AUTO_TEST_CASE(expire_without_a_pending_checkpoint_does_nothing) {
  temp_dir dir;
  checkpoint_coordinator c(checkpoint_storage{dir.str()}, "job", 128, 1, 1, options(1));
  outlast_a_millisecond();
  BOOST_TEST(!c.expire().has_value());
  BOOST_TEST(c.failed() == 0u);
}

BOOST_AUTO_TEST_CASE(retention_is_applied_after_each_completion) {
  temp_dir dir;
  checkpoint_storage storage(dir.str());
  checkpoint_coordinator c(storage, "job", 128, 1, 1, options(60000, 2));
  for (int i = 0; i < 4; ++i) {
    auto id = c.trigger().value();
    c.acknowledge(id, 0, written_ack(storage, id, 0, 1));
    BOOST_REQUIRE(c.try_complete().has_value());
    // Retention never deletes the checkpoint that just completed.
    BOOST_TEST(storage.load_verified(id).id == id);
  }
  BOOST_TEST((storage.list_completed() == ids{3, 4}));
  BOOST_TEST(!fs::exists(storage.checkpoint_dir(1)));
  BOOST_TEST(!fs::exists(storage.checkpoint_dir(2)));
  BOOST_TEST(c.completed() == 4u);
}

BOOST_AUTO_TEST_CASE(a_manifest_that_cannot_be_written_aborts_the_checkpoint) {
  temp_dir dir;
  auto blocker = dir.str() + "/not-a-dir";
  std::ofstream(blocker) << "a file where the checkpoint dir should be";
  checkpoint_coordinator c(checkpoint_storage{blocker + "/checkpoints"}, "job", 128, 1, 1,
                           options());
  auto id = c.trigger().value();
  c.acknowledge(id, 0, stateless_ack(0));
  BOOST_CHECK_THROW(c.try_complete(), std::runtime_error);
  BOOST_TEST(!c.pending());
  BOOST_TEST(c.failed() == 1u);
  BOOST_TEST(c.completed() == 0u);
  BOOST_TEST(!c.last_completed().has_value());
  BOOST_TEST(answer(c.acknowledge(id, 0, stateless_ack(0))) == "discarded");
}

BOOST_AUTO_TEST_SUITE_END()
