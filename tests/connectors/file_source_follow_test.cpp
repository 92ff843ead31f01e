// file_source in follow mode: `tail -f` for a directory, files shared out over subtasks.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "connectors/file_source.hpp"
#include "tests/connectors/support.hpp"

namespace fs = std::filesystem;
using namespace sluice;
using sluice::test::temp_dir;
using lines = std::vector<std::string>;

namespace {

lines sorted(lines v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(file_source_follow_tests)

BOOST_AUTO_TEST_CASE(follow_mode_picks_up_appended_lines_and_new_files) {
  temp_dir dir;
  test::write_file(dir / "a.txt", "a1\na2\n");
  file_source_options o;
  o.path = dir.path().string();
  o.follow = true;
  o.discovery_ms = 0;  // list the directory on every poll
  file_source src{o};
  src.open(test::subtask_context(0, 1));
  test::recording_emitter<std::string> out;

  // Polls until `n` records arrived in total; bounded, never a timing assertion.
  auto poll_until = [&](std::size_t n) {
    for (int i = 0; i < 400 && out.records.size() < n; ++i) {
      auto st = src.poll(out, 1024);
      BOOST_REQUIRE(st != poll_status::finished);
      if (st == poll_status::idle)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return out.records.size() >= n;
  };

  BOOST_REQUIRE(poll_until(2));
  test::append_file(dir / "a.txt", "a3\n");
  BOOST_REQUIRE(poll_until(3));
  // A producer writes under a hidden name and renames when done.
  test::write_file(dir / ".b.tmp", "b1\nb2\n");
  fs::rename(dir / ".b.tmp", dir / "b.txt");
  BOOST_REQUIRE(poll_until(5));
  test::append_file(dir / "a.txt", "par");
  for (int i = 0; i < 5; ++i)
    src.poll(out, 1024);
  BOOST_TEST(out.records.size() == 5u, "an unterminated line waits for its newline");
  test::append_file(dir / "a.txt", "tial\n");
  BOOST_REQUIRE(poll_until(6));
  BOOST_TEST(out.records == (lines{"a1", "a2", "a3", "b1", "b2", "partial"}),
             boost::test_tools::per_element());
  BOOST_TEST(src.poll(out, 1024) == poll_status::idle, "nothing new: idle, not finished");
}

BOOST_AUTO_TEST_CASE(stopping_a_follow_source_flushes_an_unterminated_line_then_finishes) {
  temp_dir dir;
  test::write_file(dir / "a.txt", "done\nhalf");
  file_source_options o;
  o.path = dir.path().string();
  o.follow = true;
  o.discovery_ms = 0;
  file_source src{o};
  src.open(test::subtask_context(0, 1));
  test::recording_emitter<std::string> out;
  for (int i = 0; i < 400 && out.records.empty(); ++i)
    src.poll(out, 1024);
  BOOST_TEST_REQUIRE(out.records == (lines{"done"}), boost::test_tools::per_element());
  src.request_stop();
  poll_status st = poll_status::more;
  for (int i = 0; i < 10 && st != poll_status::finished; ++i)
    st = src.poll(out, 1024);
  BOOST_TEST((st == poll_status::finished));
  BOOST_TEST(out.records == (lines{"done", "half"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(followed_files_are_shared_out_so_each_line_reaches_exactly_one_subtask) {
  temp_dir dir;
  lines expect;
  for (int f = 0; f < 12; ++f) {
    std::string text;
    for (int l = 0; l < 3; ++l) {
      text += "file" + std::to_string(f) + "-line" + std::to_string(l) + "\n";
      expect.push_back("file" + std::to_string(f) + "-line" + std::to_string(l));
    }
    test::write_file(dir / ("f" + std::to_string(f) + ".log"), text);
  }
  constexpr uint32_t par = 3;
  file_source_options o;
  o.path = dir.path().string();
  o.follow = true;
  o.discovery_ms = 0;
  std::vector<std::unique_ptr<file_source>> srcs;
  test::recording_emitter<std::string> out;  // shared: only the union matters here
  for (uint32_t s = 0; s < par; ++s) {
    srcs.push_back(std::make_unique<file_source>(o));
    srcs.back()->open(test::subtask_context(s, par));
  }
  for (int i = 0; i < 400 && out.records.size() < expect.size(); ++i)
    for (auto& s : srcs)
      s->poll(out, 1024);
  for (int i = 0; i < 3; ++i)  // a few more rounds: nobody may read a file a second time
    for (auto& s : srcs)
      s->poll(out, 1024);
  BOOST_TEST(sorted(out.records) == sorted(expect), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
