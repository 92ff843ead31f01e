#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <utility>

#include "connectors/file_sink.hpp"
#include "tests/connectors/support.hpp"

namespace fs = std::filesystem;
using namespace sluice;
using names = std::vector<std::string>;
using row = std::pair<std::string, int64_t>;

namespace {

/// What a reader of the output directory sees: the names not starting with '.'.
names visible(const test::temp_dir& dir, const std::string& sub = "out") {
  names v;
  for (auto& n : test::names_in(dir.path() / sub))
    if (n[0] != '.')
      v.push_back(n);
  return v;
}

names hidden(const test::temp_dir& dir, const std::string& sub = "out") {
  names v;
  for (auto& n : test::names_in(dir.path() / sub))
    if (n[0] == '.')
      v.push_back(n);
  return v;
}

file_sink_options options_for(const test::temp_dir& dir) {
  file_sink_options o;
  o.dir = dir / "out";
  return o;
}

template <class T>
void feed(operator_logic& op, std::vector<T> xs) {
  batch<T> b{std::move(xs)};
  test::recording_emitter<T> out;
  op.process(b, out);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(file_sink_tests)

// Only the operator interface is used (open, process, on_epoch_end, finish), as the runtime does.

BOOST_AUTO_TEST_CASE(open_creates_the_output_directory) {
  test::temp_dir dir;
  auto o = options_for(dir);
  o.dir = dir / "out/nested/deeper";
  file_sink<std::string> sink{o, std::nullopt};
  sink.open(test::subtask_context(0, 1));
  BOOST_TEST(fs::is_directory(o.dir));
}

BOOST_AUTO_TEST_CASE(nothing_is_visible_until_commit_and_the_in_progress_file_is_hidden) {
  test::temp_dir dir;
  file_sink<std::string> sink{options_for(dir), std::nullopt};
  sink.open(test::subtask_context(3, 4));
  feed<std::string>(sink, {"alpha"});
  feed<std::string>(sink, {"beta"});
  BOOST_TEST(visible(dir).empty());
  // ".part-3-0.TOKEN.inprogress": TOKEN is unique to the writer (no two writers share a file).
  auto h = hidden(dir);
  BOOST_TEST_REQUIRE(h.size() == 1u);
  BOOST_TEST(h[0].rfind(".part-3-0.", 0) == 0u, h[0]);
  BOOST_TEST(h[0].size() == std::string{".part-3-0.0123456789abcdef.inprogress"}.size(), h[0]);
  test::recording_emitter<std::string> out;
  sink.finish(out);
  BOOST_TEST(visible(dir) == (names{"part-3-0"}), boost::test_tools::per_element());
  BOOST_TEST(hidden(dir).empty());
  BOOST_TEST(test::read_file(dir / "out/part-3-0") == "alpha\nbeta\n");
}

BOOST_AUTO_TEST_CASE(each_trigger_with_rows_adds_the_next_part_file) {
  test::temp_dir dir;
  file_sink<row> sink{options_for(dir), output_mode::update};
  sink.open(test::subtask_context(0, 1));
  test::recording_emitter<row> out;
  for (int i = 0; i < 3; ++i) {
    feed<row>(sink, {{"w", i + 1}});
    sink.on_epoch_end(static_cast<uint64_t>(i + 1), out);
  }
  sink.on_epoch_end(4, out);  // nothing changed: no empty part
  sink.finish(out);
  BOOST_TEST(visible(dir) == (names{"part-0-0", "part-0-1", "part-0-2"}), boost::test_tools::per_element());
  BOOST_TEST(test::read_file(dir / "out/part-0-2") == "w\t3\n");
}

BOOST_AUTO_TEST_CASE(sequence_numbers_continue_after_an_earlier_run) {
  test::temp_dir dir;
  fs::create_directories(dir.path() / "out");
  test::write_file(dir / "out/part-0-0", "old\n");
  test::write_file(dir / "out/part-0-9", "old\n");
  test::write_file(dir / "out/part-0-10", "old\n");
  test::write_file(dir / "out/part-1-41", "other subtask\n");
  test::write_file(dir / "out/part-0-x", "not a sequence number\n");
  test::write_file(dir / "out/part-0", "complete-mode result\n");
  for (uint32_t s : {0u, 1u}) {
    file_sink<std::string> sink{options_for(dir), std::nullopt};
    sink.open(test::subtask_context(s, 2));
    feed<std::string>(sink, {"new"});
    test::recording_emitter<std::string> out;
    sink.finish(out);
  }
  BOOST_TEST(test::read_file(dir / "out/part-0-11") == "new\n");
  BOOST_TEST(test::read_file(dir / "out/part-1-42") == "new\n");
  BOOST_TEST(test::read_file(dir / "out/part-0-10") == "old\n", "an earlier part is never overwritten");
  BOOST_TEST(test::read_file(dir / "out/part-1-41") == "other subtask\n");
  BOOST_TEST(visible(dir).size() == 8u);
}

BOOST_AUTO_TEST_CASE(complete_mode_replaces_part_s_and_keeps_the_old_result_until_the_trigger_ends) {
  test::temp_dir dir;
  file_sink<row> sink{options_for(dir), output_mode::complete};
  sink.open(test::subtask_context(2, 3));
  test::recording_emitter<row> out;
  feed<row>(sink, {{"a", 1}});
  BOOST_TEST(visible(dir).empty());
  sink.on_epoch_end(1, out);
  BOOST_TEST(visible(dir) == (names{"part-2"}), boost::test_tools::per_element());
  BOOST_TEST(test::read_file(dir / "out/part-2") == "a\t1\n");
  feed<row>(sink, {{"a", 2}});
  feed<row>(sink, {{"b", 1}});
  BOOST_TEST(test::read_file(dir / "out/part-2") == "a\t1\n", "the previous result stays whole");
  sink.on_epoch_end(2, out);
  BOOST_TEST(visible(dir) == (names{"part-2"}), boost::test_tools::per_element());
  BOOST_TEST(hidden(dir).empty());
  BOOST_TEST(test::read_file(dir / "out/part-2") == "a\t2\nb\t1\n");
  sink.on_epoch_end(3, out);  // an empty result replaces the previous one too
  sink.finish(out);
  BOOST_TEST(visible(dir) == (names{"part-2"}), boost::test_tools::per_element());
  BOOST_TEST(hidden(dir).empty());
  BOOST_TEST(test::read_file(dir / "out/part-2").empty());
}

BOOST_AUTO_TEST_CASE(an_uncommitted_part_is_removed_when_the_sink_goes_away) {
  test::temp_dir dir;
  {
    file_sink<std::string> sink{options_for(dir), std::nullopt};
    sink.open(test::subtask_context(0, 1));
    feed<std::string>(sink, {"never committed"});
    BOOST_TEST(hidden(dir).size() == 1u);
  }
  BOOST_TEST(test::names_in(dir.path() / "out").empty());
}

BOOST_AUTO_TEST_CASE(an_unusable_output_directory_throws_naming_it) {
  test::temp_dir dir;
  test::write_file(dir / "a_file", "x");
  file_sink_options o;
  o.dir = dir / "a_file/out";
  file_sink<std::string> sink{o, std::nullopt};
  try {
    sink.open(test::subtask_context(0, 1));
    BOOST_FAIL("open under a regular file did not throw");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string{e.what()}.find(o.dir) != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(the_sink_writes_rows_as_tab_separated_lines_committed_at_finish) {
  test::temp_dir dir;
  file_sink<row> sink{options_for(dir), std::nullopt};
  sink.open(test::subtask_context(0, 1));
  feed<row>(sink, {{"to", 2}, {"be", 1}});
  BOOST_TEST(visible(dir).empty());
  test::recording_emitter<row> out;
  sink.finish(out);
  BOOST_TEST(visible(dir) == (names{"part-0-0"}), boost::test_tools::per_element());
  BOOST_TEST(test::read_file(dir / "out/part-0-0") == "to\t2\nbe\t1\n");
}

BOOST_AUTO_TEST_CASE(the_sink_rolls_a_part_file_once_it_passes_max_part_bytes) {
  test::temp_dir dir;
  auto o = options_for(dir);
  o.max_part_bytes = 10;
  file_sink<std::string> sink{o, std::nullopt};
  sink.open(test::subtask_context(1, 2));
  feed<std::string>(sink, {"12345"});           // 6 bytes: stays open
  BOOST_TEST(visible(dir).empty());
  feed<std::string>(sink, {"6789"});            // 11 bytes: rolled
  BOOST_TEST(visible(dir) == (names{"part-1-0"}), boost::test_tools::per_element());
  feed<std::string>(sink, {"x"});
  test::recording_emitter<std::string> out;
  sink.finish(out);
  BOOST_TEST(visible(dir) == (names{"part-1-0", "part-1-1"}), boost::test_tools::per_element());
  BOOST_TEST(test::read_file(dir / "out/part-1-0") == "12345\n6789\n");
  BOOST_TEST(test::read_file(dir / "out/part-1-1") == "x\n");
}

BOOST_AUTO_TEST_SUITE_END()
