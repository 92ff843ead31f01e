#include "checkpoints/wal.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/fakes/messages.hpp"
#include "tests/fakes/temp_dir.hpp"

namespace fs = std::filesystem;
using sluice::checkpoints::wal_options;
using sluice::checkpoints::wal_position;
using sluice::checkpoints::wal_reader;
using sluice::checkpoints::wal_writer;
using sluice::test::append_file;
using sluice::test::contains;
using sluice::test::error_of;
using records = std::vector<std::string>;

namespace {

constexpr uint64_t header_bytes = 18;  // "SLUICEWAL", version, first position
constexpr uint64_t frame_bytes = 12;   // length, checksum

/// A temp dir whose subdirectory "wal", which the writer has to create, holds the log.
struct log_dir : sluice::test::temp_dir {
  std::string log() const { return *this / "wal"; }
};

std::string segment_name(wal_position first) {
  char name[48];
  std::snprintf(name, sizeof name, "seg-%020llu.wal", static_cast<unsigned long long>(first));
  return name;
}

/// Segment file names in `dir`, sorted.
std::vector<std::string> segments(const std::string& dir) { return sluice::test::names_in(dir); }

records numbered(int from, int to) {
  records r;
  for (int i = from; i < to; ++i)
    r.push_back("record-" + std::to_string(i));
  return r;
}

/// Everything from `from` to the end of the log, read in small chunks.
records read_all(const std::string& dir, wal_position from = 0) {
  wal_reader reader(dir);
  records all;
  for (;;) {
    auto chunk = reader.read(from + all.size(), 7);
    if (chunk.empty())
      return all;
    all.insert(all.end(), chunk.begin(), chunk.end());
  }
}

/// A writer over `dir`, opened, with everything in `rs` appended and synced.
wal_position write_log(const std::string& dir, const records& rs, uint64_t segment_bytes) {
  wal_writer w({.dir = dir, .segment_bytes = segment_bytes});
  w.open();
  w.append(rs);
  w.sync();
  return w.end();
}

void flip_byte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x5A));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wal)

BOOST_AUTO_TEST_CASE(records_round_trip_across_several_segment_rolls) {
  log_dir tmp;
  wal_writer w({.dir = tmp.log(), .segment_bytes = 80});
  w.open();
  BOOST_TEST(w.end() == 0u);
  BOOST_TEST(w.append(numbered(0, 1)) == 0u);
  BOOST_TEST(w.append(numbered(1, 13)) == 1u);
  w.sync();
  BOOST_TEST(w.append(numbered(13, 40)) == 13u);
  w.sync();
  BOOST_TEST(w.end() == 40u);

  BOOST_TEST(segments(tmp.log()).size() > 5u);
  BOOST_TEST(segments(tmp.log()).front() == segment_name(0));
  BOOST_TEST(read_all(tmp.log()) == numbered(0, 40), boost::test_tools::per_element());
  BOOST_TEST(read_all(tmp.log(), 17) == numbered(17, 40), boost::test_tools::per_element());
  BOOST_TEST(wal_reader(tmp.log()).read(38, 100) == numbered(38, 40),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(no_segment_grows_past_its_size_unless_a_single_record_does) {
  log_dir tmp;
  write_log(tmp.log(), numbered(0, 50), 100);
  for (const auto& name : segments(tmp.log()))
    BOOST_TEST(fs::file_size(fs::path(tmp.log()) / name) <= 100u, name);
}

BOOST_AUTO_TEST_CASE(a_reader_sees_records_appended_after_it_reached_the_end) {
  log_dir tmp;
  wal_writer w({.dir = tmp.log(), .segment_bytes = 64});
  w.open();
  w.append(numbered(0, 3));
  wal_reader reader(tmp.log());
  BOOST_TEST(reader.read(0, 10) == numbered(0, 3), boost::test_tools::per_element());
  BOOST_TEST(reader.read(3, 10).empty());
  w.append(numbered(3, 9));
  BOOST_TEST(reader.read(3, 10) == numbered(3, 9), boost::test_tools::per_element());
  BOOST_TEST(reader.read(1, 2) == numbered(1, 3), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(positions_continue_across_reopen) {
  log_dir tmp;
  BOOST_TEST(write_log(tmp.log(), numbered(0, 5), 1 << 20) == 5u);
  {
    wal_writer w({.dir = tmp.log(), .segment_bytes = 60});
    w.open();
    BOOST_TEST(w.end() == 5u);
    BOOST_TEST(w.append(numbered(5, 12)) == 5u);
    w.sync();
  }
  wal_writer w({.dir = tmp.log(), .segment_bytes = 60});
  w.open();
  BOOST_TEST(w.end() == 12u);
  BOOST_TEST(w.append(numbered(12, 13)) == 12u);
  BOOST_TEST(read_all(tmp.log()) == numbered(0, 13), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_record_cut_short_by_a_crash_is_dropped_on_reopen_and_appending_continues) {
  log_dir tmp;
  write_log(tmp.log(), numbered(0, 10), 1 << 20);
  auto seg = tmp.log() + "/" + segment_name(0);
  fs::resize_file(seg, fs::file_size(seg) - 3);  // the last record loses its last bytes

  wal_writer w({.dir = tmp.log()});
  w.open();
  BOOST_TEST(w.end() == 9u);
  BOOST_TEST(read_all(tmp.log()) == numbered(0, 9), boost::test_tools::per_element());
  BOOST_TEST(w.append({"after-crash-a", "after-crash-b"}) == 9u);
  w.sync();
  auto expected = numbered(0, 9);
  expected.insert(expected.end(), {"after-crash-a", "after-crash-b"});
  BOOST_TEST(read_all(tmp.log()) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_record_header_cut_short_is_dropped_on_reopen) {
  log_dir tmp;
  write_log(tmp.log(), numbered(0, 4), 1 << 20);
  append_file(tmp.log() + "/" + segment_name(0), std::string("\x09\x00\x00\x00\x01", 5));
  wal_writer w({.dir = tmp.log()});
  w.open();
  BOOST_TEST(w.end() == 4u);
  BOOST_TEST(w.append({"next"}) == 4u);
  BOOST_TEST(read_all(tmp.log()).back() == "next");
}

BOOST_AUTO_TEST_CASE(garbage_after_the_last_record_is_dropped_on_reopen) {
  log_dir tmp;
  write_log(tmp.log(), numbered(0, 25), 120);
  auto last = tmp.log() + "/" + segments(tmp.log()).back();
  auto intact_size = fs::file_size(last);
  // A frame that fits in the file but fails its checksum, then a zero-filled block (what a crash
  // can leave after the file size grew but before the data reached the disk).
  append_file(last, std::string("\x05\x00\x00\x00"
                                 "checksum"
                                 "bytes",
                                 17) +
                         std::string(4096, '\0'));

  wal_writer w({.dir = tmp.log(), .segment_bytes = 120});
  w.open();
  BOOST_TEST(w.end() == 25u);
  BOOST_TEST(fs::file_size(last) == intact_size);
  BOOST_TEST(w.append(numbered(25, 30)) == 25u);
  w.sync();
  BOOST_TEST(read_all(tmp.log()) == numbered(0, 30), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(readers_stop_before_a_torn_tail_the_writer_has_not_repaired_yet) {
  log_dir tmp;
  write_log(tmp.log(), numbered(0, 6), 1 << 20);
  append_file(tmp.log() + "/" + segment_name(0), std::string("\x40\x00\x00\x00"
                                                              "checksum"
                                                              "partial",
                                                              19));
  BOOST_TEST(read_all(tmp.log()) == numbered(0, 6), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_segment_created_just_before_a_crash_without_its_header_is_reused) {
  log_dir tmp;
  write_log(tmp.log(), numbered(0, 3), 1 << 20);
  append_file(tmp.log() + "/" + segment_name(3), "SLUI");  // the header was being written
  wal_writer w({.dir = tmp.log()});
  w.open();
  BOOST_TEST(w.end() == 3u);
  BOOST_TEST(w.append(numbered(3, 5)) == 3u);
  w.sync();
  BOOST_TEST(fs::file_size(tmp.log() + "/" + segment_name(3)) > header_bytes);
  BOOST_TEST(read_all(tmp.log()) == numbered(0, 5), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_corrupted_checksum_in_a_middle_segment_is_an_error_naming_the_segment) {
  log_dir tmp;
  write_log(tmp.log(), numbered(0, 30), 80);
  auto names = segments(tmp.log());
  BOOST_REQUIRE(names.size() >= 3u);
  const auto& middle = names[names.size() / 2];
  flip_byte(tmp.log() + "/" + middle, header_bytes + 4);  // the first record's checksum

  auto on_open = error_of([&] { wal_writer({.dir = tmp.log()}).open(); });
  BOOST_TEST(contains(on_open, middle), on_open);
  BOOST_TEST(contains(on_open, "offset " + std::to_string(header_bytes)), on_open);
  BOOST_TEST(contains(on_open, "checksum mismatch"), on_open);
  auto on_read = error_of([&] { read_all(tmp.log()); });
  BOOST_TEST(contains(on_read, middle), on_read);
  BOOST_TEST(contains(on_read, "offset " + std::to_string(header_bytes)), on_read);
}

BOOST_AUTO_TEST_CASE(corruption_with_intact_records_after_it_in_the_last_segment_is_an_error) {
  log_dir tmp;
  write_log(tmp.log(), numbered(0, 5), 1 << 20);
  auto seg = tmp.log() + "/" + segment_name(0);
  auto second_record = header_bytes + frame_bytes + numbered(0, 1)[0].size();
  flip_byte(seg, second_record + frame_bytes);  // a payload byte of record 1 of 5
  auto size_before = fs::file_size(seg);

  auto message = error_of([&] { wal_writer({.dir = tmp.log()}).open(); });
  BOOST_TEST(contains(message, segment_name(0)), message);
  BOOST_TEST(contains(message, "offset " + std::to_string(second_record)), message);
  BOOST_TEST(fs::file_size(seg) == size_before);  // nothing truncated
}

BOOST_AUTO_TEST_CASE(a_missing_segment_in_the_middle_is_an_error_naming_where_records_end) {
  log_dir tmp;
  write_log(tmp.log(), numbered(0, 30), 80);
  auto names = segments(tmp.log());
  BOOST_REQUIRE(names.size() >= 3u);
  fs::remove(tmp.log() + "/" + names[1]);
  auto message = error_of([&] { wal_writer({.dir = tmp.log()}).open(); });
  BOOST_TEST(contains(message, names[0]), message);
  BOOST_TEST(contains(message, "next segment starts at"), message);
}

BOOST_AUTO_TEST_CASE(truncate_before_deletes_only_segments_entirely_before_the_position) {
  log_dir tmp;
  wal_writer w({.dir = tmp.log(), .segment_bytes = 80});
  w.open();
  w.append(numbered(0, 40));
  w.sync();
  auto before = segments(tmp.log());
  BOOST_REQUIRE(before.size() >= 4u);
  auto third_first = std::stoull(before[2].substr(4, 20));
  auto pos = third_first + 1;  // inside the third segment

  w.truncate_before(pos);
  auto after = segments(tmp.log());
  BOOST_TEST(after == std::vector<std::string>(before.begin() + 2, before.end()),
             boost::test_tools::per_element());
  BOOST_TEST(read_all(tmp.log(), pos) == numbered(static_cast<int>(pos), 40),
             boost::test_tools::per_element());
  BOOST_TEST(read_all(tmp.log(), third_first).size() == 40u - third_first);

  auto message = error_of([&] { wal_reader(tmp.log()).read(third_first - 1, 10); });
  BOOST_TEST(contains(message, "position " + std::to_string(third_first - 1)), message);
  BOOST_TEST(contains(message, tmp.log()), message);
  BOOST_TEST(contains(message, "no longer retained"), message);
}

BOOST_AUTO_TEST_CASE(truncate_before_at_a_segment_start_deletes_every_segment_before_it) {
  log_dir tmp;
  wal_writer w({.dir = tmp.log(), .segment_bytes = 80});
  w.open();
  w.append(numbered(0, 20));
  auto before = segments(tmp.log());
  BOOST_REQUIRE(before.size() >= 3u);
  w.truncate_before(std::stoull(before[1].substr(4, 20)));
  BOOST_TEST(segments(tmp.log()).front() == before[1]);
}

BOOST_AUTO_TEST_CASE(truncate_before_the_end_keeps_the_segment_appends_go_to) {
  log_dir tmp;
  wal_writer w({.dir = tmp.log(), .segment_bytes = 80});
  w.open();
  w.append(numbered(0, 20));
  auto active = segments(tmp.log()).back();
  w.truncate_before(w.end());
  BOOST_TEST(segments(tmp.log()) == std::vector<std::string>{active},
             boost::test_tools::per_element());
  BOOST_TEST(w.append({"still-going"}) == 20u);
  BOOST_TEST(wal_reader(tmp.log()).read(20, 5) == records{"still-going"},
             boost::test_tools::per_element());
  // Reopening a log whose first segments are gone starts from its first retained position.
  wal_writer again({.dir = tmp.log(), .segment_bytes = 80});
  again.open();
  BOOST_TEST(again.end() == 21u);
}

BOOST_AUTO_TEST_CASE(truncate_before_a_position_past_the_end_is_an_error) {
  log_dir tmp;
  wal_writer w({.dir = tmp.log()});
  w.open();
  w.append(numbered(0, 2));
  BOOST_TEST(contains(error_of([&] { w.truncate_before(3); }), "past its end 2"));
}

BOOST_AUTO_TEST_CASE(reading_at_the_end_returns_nothing_and_past_it_fails) {
  log_dir tmp;
  write_log(tmp.log(), numbered(0, 4), 1 << 20);
  wal_reader reader(tmp.log());
  BOOST_TEST(reader.read(4, 10).empty());
  auto message = error_of([&] { reader.read(5, 10); });
  BOOST_TEST(contains(message, "position 5 is past the end (4)"), message);
}

BOOST_AUTO_TEST_CASE(reading_a_directory_without_a_log_fails) {
  log_dir tmp;
  auto message = error_of([&] { wal_reader(tmp.log()).read(0, 1); });
  BOOST_TEST(contains(message, tmp.log()), message);
}

BOOST_AUTO_TEST_CASE(appending_before_open_is_an_error) {
  log_dir tmp;
  wal_writer w({.dir = tmp.log()});
  BOOST_TEST(contains(error_of([&] { w.append({"x"}); }), "before open()"));
}

BOOST_AUTO_TEST_CASE(empty_and_large_records_round_trip) {
  log_dir tmp;
  std::string large(5 << 20, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (auto& c : large) {  // deterministic pseudo-random bytes
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  records rs{"", large, "", "small", large.substr(0, 70000), ""};
  wal_writer w({.dir = tmp.log(), .segment_bytes = 4096});
  w.open();
  BOOST_TEST(w.append(rs) == 0u);
  w.sync();
  BOOST_TEST(w.end() == 6u);
  auto back = read_all(tmp.log());
  BOOST_REQUIRE(back.size() == rs.size());
  for (std::size_t i = 0; i < rs.size(); ++i)
    BOOST_TEST((back[i] == rs[i]), "record " << i << " differs");

  wal_writer again({.dir = tmp.log(), .segment_bytes = 4096});
  again.open();
  BOOST_TEST(again.end() == 6u);
}

BOOST_AUTO_TEST_CASE(a_record_with_newlines_nul_bytes_and_invalid_utf8_round_trips_byte_for_byte) {
  log_dir tmp;
  records rs{std::string("line one\nline two\0after nul\n", 28), std::string("\0", 1), "\n",
             "\xff\xfe\xc3(", std::string("\r\n\0\x80", 4)};
  write_log(tmp.log(), rs, 1 << 20);
  BOOST_TEST(read_all(tmp.log()) == rs, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
