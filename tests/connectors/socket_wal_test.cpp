// The socket source under checkpoints: every received line goes to the write-ahead log before it
// is emitted, a checkpoint records the log position, and a source restored from that position
// replays what was received after it (before the crash) and then reads its new connection, so
// nothing received is lost and nothing is emitted twice; completed checkpoints let it drop
// segments no retained checkpoint needs.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "connectors/socket_source.hpp"
#include "tests/connectors/local_server.hpp"
#include "tests/connectors/support.hpp"

using namespace sluice;

namespace {

task_context checkpointed_context(const std::string& checkpoint_dir) {
  auto ctx = test::subtask_context(0, 1);
  ctx.uid = "lines";
  ctx.checkpointing = true;
  ctx.checkpoint_dir = checkpoint_dir;
  ctx.checkpoints_retained = 1;
  return ctx;
}

std::string numbered(int from, int to) {
  std::string s;
  for (int i = from; i < to; ++i)
    s += "line " + std::to_string(i) + "\n";
  return s;
}

/// Polls until the source finished; returns what it emitted.
std::vector<std::string> drain(socket_source& src) {
  test::recording_emitter<std::string> out;
  for (int i = 0; i < 100000; ++i)
    if (src.poll(out, 64) == poll_status::finished)
      break;
  return out.records;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(socket_source_write_ahead_log)

BOOST_AUTO_TEST_CASE(a_restored_source_replays_what_it_received_after_the_checkpoint_and_goes_on) {
  test::temp_dir dir;
  auto ctx = checkpointed_context(dir.path().string());
  operator_snapshot snap;
  snap.checkpoint_id = 1;
  {
    // The first run: 100 lines arrive; the checkpoint is taken after the first 40 were emitted;
    // then the process "dies" (the source is dropped) with 60 lines received but uncheckpointed.
    test::local_server server{[](int fd) { test::send_all(fd, numbered(0, 100)); }};
    socket_source src{parse_host_port(server.address())};
    src.open(ctx);
    test::recording_emitter<std::string> out;
    while (out.records.size() < 40)
      src.poll(out, 40 - static_cast<uint32_t>(out.records.size()));
    src.snapshot_state(snap);
    server.wait();
    drain(src);
  }
  // Restore from the checkpoint's operator state into a fresh source on a new connection.
  auto path = (dir.path() / "state").string();
  snap.sections.write(path);
  state::snapshot_reader reader{path};
  operator_restore r;
  r.checkpoint_id = 1;
  r.old_parallelism = 1;
  r.operator_state = reader.find(state::section_id{"", state::no_key_group});
  BOOST_REQUIRE(r.operator_state != nullptr);
  test::local_server server{[](int fd) { test::send_all(fd, numbered(100, 130)); }};
  socket_source src{parse_host_port(server.address())};
  src.open(ctx);
  src.restore_state(r);
  auto lines = drain(src);
  std::vector<std::string> expected;
  for (int i = 40; i < 130; ++i)
    expected.push_back("line " + std::to_string(i));
  BOOST_TEST(lines == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_fresh_run_skips_what_an_earlier_run_left_in_the_log) {
  test::temp_dir dir;
  auto ctx = checkpointed_context(dir.path().string());
  {
    test::local_server server{[](int fd) { test::send_all(fd, numbered(0, 10)); }};
    socket_source src{parse_host_port(server.address())};
    src.open(ctx);
    server.wait();
    BOOST_TEST(drain(src).size() == 10u);
  }
  test::local_server server{[](int fd) { test::send_all(fd, numbered(10, 15)); }};
  socket_source src{parse_host_port(server.address())};
  src.open(ctx);  // no restore: nothing of the old log is emitted again
  auto lines = drain(src);
  BOOST_REQUIRE(lines.size() == 5u);
  BOOST_TEST(lines.front() == "line 10");
}

BOOST_AUTO_TEST_CASE(completed_checkpoints_drop_segments_no_retained_checkpoint_needs) {
  test::temp_dir dir;
  auto ctx = checkpointed_context(dir.path().string());
  std::string big_line(1 << 20, 'x');  // segments are 8 MiB: 40 lines of 1 MiB span several
  std::string payload;
  for (int i = 0; i < 40; ++i)
    payload += big_line + "\n";
  test::local_server server{[&](int fd) { test::send_all(fd, payload); }};
  socket_source src{parse_host_port(server.address())};
  src.open(ctx);
  drain(src);  // reading first: the server blocks until the client takes its 40 MiB
  server.wait();
  auto wal_dir = dir.path() / "wal" / "lines-0";
  auto segments = [&] {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(wal_dir))
      n += e.path().extension() == ".wal" ? 1 : 0;
    return n;
  };
  auto before = segments();
  BOOST_REQUIRE(before > 1u);
  operator_snapshot snap;
  snap.checkpoint_id = 7;
  src.snapshot_state(snap);  // position: everything emitted
  src.checkpoint_complete(7, false);
  BOOST_TEST(segments() < before);
}

BOOST_AUTO_TEST_SUITE_END()
