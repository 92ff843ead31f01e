#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <numeric>
#include <set>
#include <stdexcept>
#include <thread>

#include "connectors/file_source.hpp"
#include "tests/connectors/support.hpp"

namespace fs = std::filesystem;
using namespace sluice;
using sluice::test::expected_lines;
using sluice::test::rng;
using sluice::test::temp_dir;
using lines = std::vector<std::string>;

namespace {

constexpr std::size_t read_chunk = 1 << 20;  // file_source's read size, to cross it on purpose

/// Reads a bounded source to its end, as the runtime would.
lines read_to_end(file_source& src, uint32_t max_records, uint64_t* bytes_total = nullptr) {
  test::recording_emitter<std::string> out;
  for (int polls = 0;; ++polls) {
    BOOST_REQUIRE_MESSAGE(polls < 1000000, "the source never finished");
    auto st = src.poll(out, max_records);
    if (st == poll_status::finished)
      break;
    BOOST_REQUIRE_MESSAGE(st == poll_status::more, "a bounded file source reported idle");
  }
  if (bytes_total)
    *bytes_total += src.bytes_total();
  return std::move(out.records);
}

lines read_subtask(const file_source_options& o, uint32_t subtask, uint32_t parallelism,
                   uint32_t max_records = 1024, uint64_t* bytes_total = nullptr) {
  file_source src{o};
  src.open(test::subtask_context(subtask, parallelism));
  return read_to_end(src, max_records, bytes_total);
}

/// A line's content: printable bytes, spaces, a stray '\r' now and then, some high bytes.
std::string random_content(rng& r, std::size_t len) {
  std::string s(len, ' ');
  for (auto& c : s) {
    auto k = r.between(0, 99);
    c = k < 80 ? static_cast<char>('a' + k % 26) : k < 90 ? ' ' : k < 93 ? '\r' : static_cast<char>(0x80 + k);
  }
  return s;
}

/// A file of random lines: empty ones, CRLF ends, some longer than the read chunk when `huge`,
/// with or without a final newline.
std::string random_file(rng& r, bool huge) {
  std::string f;
  auto n = r.between(0, huge ? 12 : 30);
  for (uint64_t i = 0; i < n; ++i) {
    std::size_t len;
    if (huge && r.chance(20))
      len = read_chunk + r.between(0, read_chunk / 3);
    else if (r.chance(25))
      len = 0;
    else
      len = r.between(1, 20);
    f += random_content(r, len);
    f += r.chance(20) ? "\r\n" : "\n";
  }
  if (r.chance(50))
    f += random_content(r, r.between(1, huge ? read_chunk + 5 : 10));  // unterminated last line
  return f;
}

lines sorted(lines v) {
  std::sort(v.begin(), v.end());
  return v;
}

/// Reads `path` with every subtask of `parallelism` and checks the union is exactly the file's
/// lines; with one subtask the order must be the file's order too.
void check_every_line_read_exactly_once(const std::string& path, const std::string& bytes,
                                        uint32_t parallelism, uint64_t min_split_bytes,
                                        uint32_t max_records) {
  file_source_options o;
  o.path = path;
  o.min_split_bytes = min_split_bytes;
  lines all;
  uint64_t bytes_total = 0;
  for (uint32_t s = 0; s < parallelism; ++s) {
    auto part = read_subtask(o, s, parallelism, max_records, &bytes_total);
    all.insert(all.end(), part.begin(), part.end());
  }
  auto expect = expected_lines(bytes);
  if (parallelism == 1)
    BOOST_TEST(all == expect, boost::test_tools::per_element());
  else
    BOOST_TEST(sorted(all) == sorted(expect), boost::test_tools::per_element());
  BOOST_TEST(bytes_total == bytes.size(), "the splits' sizes add up to the file's size");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(file_source_tests)

BOOST_AUTO_TEST_CASE(splits_of_all_subtasks_cover_every_file_without_gap_or_overlap) {
  temp_dir dir;
  std::vector<std::string> files;
  std::map<std::string, uint64_t> size;
  for (uint64_t sz : {0u, 1u, 10u, 99u, 1000u, 4097u}) {
    auto p = dir / ("f" + std::to_string(sz));
    test::write_file(p, std::string(sz, 'x'));
    files.push_back(p);
    size[p] = sz;
  }
  for (uint32_t par = 1; par <= 5; ++par) {
    for (uint64_t min_split : {1u, 7u, 100u, 1u << 20}) {
      BOOST_TEST_CONTEXT("parallelism " << par << ", min_split_bytes " << min_split) {
        std::map<std::string, std::vector<file_split>> by_file;
        for (uint32_t s = 0; s < par; ++s)
          for (auto& sp : assign_splits(files, s, par, min_split))
            by_file[sp.path].push_back(sp);
        BOOST_TEST(by_file.size() == files.size(), "every file, even an empty one, has a split");
        for (auto& [path, splits] : by_file) {
          std::sort(splits.begin(), splits.end(),
                    [](const file_split& a, const file_split& b) { return a.start < b.start; });
          BOOST_TEST(splits.front().start == 0u);
          BOOST_TEST(splits.back().end == UINT64_MAX, "the last split reads to the end of file");
          for (std::size_t i = 0; i + 1 < splits.size(); ++i) {
            BOOST_TEST(splits[i].end == splits[i + 1].start);
            BOOST_TEST(splits[i].end - splits[i].start >= min_split);
          }
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(splits_are_dealt_out_evenly_over_subtasks) {
  temp_dir dir;
  std::vector<std::string> files;
  for (int i = 0; i < 7; ++i) {
    files.push_back(dir / ("f" + std::to_string(i)));
    test::write_file(files.back(), std::string(100 + 37 * i, 'y'));
  }
  for (uint32_t par = 1; par <= 5; ++par) {
    std::size_t fewest = SIZE_MAX, most = 0;
    for (uint32_t s = 0; s < par; ++s) {
      auto n = assign_splits(files, s, par, 16).size();
      fewest = std::min(fewest, n);
      most = std::max(most, n);
    }
    BOOST_TEST(most - fewest <= 1u, "parallelism " << par << ": " << fewest << " to " << most);
  }
}

BOOST_AUTO_TEST_CASE(random_small_files_are_read_exactly_once_by_any_number_of_subtasks) {
  temp_dir dir;
  rng r{7};
  for (int file = 0; file < 150; ++file) {
    auto bytes = random_file(r, false);
    auto path = dir / "input.txt";
    test::write_file(path, bytes);
    for (uint32_t par = 1; par <= 5; ++par) {
      uint64_t min_split = r.between(1, 8);
      uint32_t max_records = static_cast<uint32_t>(r.chance(50) ? 1 : r.between(2, 64));
      BOOST_TEST_CONTEXT("file " << file << " (" << bytes.size() << " bytes), parallelism "
                                 << par << ", min_split_bytes " << min_split) {
        check_every_line_read_exactly_once(path, bytes, par, min_split, max_records);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(lines_longer_than_the_read_chunk_are_read_exactly_once_across_splits) {
  temp_dir dir;
  rng r{11};
  int with_huge_line = 0;
  for (int file = 0; file < 6; ++file) {
    auto bytes = random_file(r, true);
    auto ls = expected_lines(bytes);
    with_huge_line += std::any_of(ls.begin(), ls.end(), [](const auto& l) { return l.size() > read_chunk; });
    auto path = dir / "big.txt";
    test::write_file(path, bytes);
    for (uint32_t par = 1; par <= 5; ++par) {
      BOOST_TEST_CONTEXT("big file " << file << " (" << bytes.size() << " bytes), parallelism " << par) {
        check_every_line_read_exactly_once(path, bytes, par, 1, 1024);
      }
    }
  }
  BOOST_TEST(with_huge_line >= 3, "the generator must produce lines longer than the read chunk");
}

BOOST_AUTO_TEST_CASE(a_split_boundary_on_any_byte_of_a_file_loses_and_repeats_nothing) {
  // With as many subtasks as bytes every byte starts a split, so boundaries land on a line's
  // first byte, its '\r', its '\n' and its middle.
  temp_dir dir;
  const std::string bytes = "ab\r\n\nc\ndef\r\n\r\ngh\n\nijklm";
  auto path = dir / "small.txt";
  test::write_file(path, bytes);
  for (uint32_t par = 1; par <= bytes.size(); ++par) {
    BOOST_TEST_CONTEXT("parallelism " << par) {
      check_every_line_read_exactly_once(path, bytes, par, 1, 3);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_directory_is_read_file_by_file_in_name_order_skipping_hidden_files) {
  temp_dir dir;
  test::write_file(dir / "b.txt", "b1\nb2\n");
  test::write_file(dir / "a.txt", "a1\na2");
  test::write_file(dir / "c.txt", "");
  test::write_file(dir / ".hidden", "hidden\n");
  test::write_file(dir / "_in_progress", "in progress\n");
  fs::create_directory(dir.path() / "sub");
  test::write_file(dir / "sub/inner.txt", "inner\n");

  auto files = list_input_files(dir.path().string());
  BOOST_TEST(files == (lines{dir / "a.txt", dir / "b.txt", dir / "c.txt"}), boost::test_tools::per_element());

  file_source_options o;
  o.path = dir.path().string();
  BOOST_TEST(read_subtask(o, 0, 1) == (lines{"a1", "a2", "b1", "b2"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_stopped_bounded_source_finishes_at_its_next_poll) {
  temp_dir dir;
  std::string text;
  for (int i = 0; i < 1000; ++i)
    text += "line " + std::to_string(i) + "\n";
  test::write_file(dir / "in.txt", text);
  file_source_options o;
  o.path = dir / "in.txt";
  file_source src{o};
  src.open(test::subtask_context(0, 1));
  src.request_stop();
  test::recording_emitter<std::string> out;
  BOOST_TEST(src.poll(out, 10) == poll_status::finished);
  BOOST_TEST(out.records.empty());
}

BOOST_AUTO_TEST_CASE(an_empty_directory_is_read_as_no_lines) {
  temp_dir dir;
  file_source_options o;
  o.path = dir.path().string();
  for (uint32_t par = 1; par <= 3; ++par)
    for (uint32_t s = 0; s < par; ++s)
      BOOST_TEST(read_subtask(o, s, par).empty());
}

BOOST_AUTO_TEST_CASE(a_missing_input_throws_one_line_naming_the_path) {
  temp_dir dir;
  auto missing = dir / "no/such/input.txt";
  for (bool follow : {false, true}) {
    file_source_options o;
    o.path = missing;
    o.follow = follow;
    file_source src{o};
    try {
      src.open(test::subtask_context(0, 1));
      BOOST_FAIL("open of a missing input did not throw");
    } catch (const std::runtime_error& e) {
      std::string msg = e.what();
      BOOST_TEST(msg.find(missing) != std::string::npos, msg);
      BOOST_TEST(msg.find('\n') == std::string::npos, msg);
    }
  }
  BOOST_CHECK_THROW(list_input_files(missing), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(a_file_growing_while_it_is_read_does_not_break_the_read) {
  temp_dir dir;
  auto path = dir / "growing.log";
  lines original;
  std::string text;
  for (int i = 0; i < 20000; ++i) {
    original.push_back("original line " + std::to_string(i));
    text += original.back() + "\n";
  }
  for (uint32_t par : {1u, 2u}) {
    BOOST_TEST_CONTEXT("parallelism " << par) {
      test::write_file(path, text);
      file_source_options o;
      o.path = path;
      o.min_split_bytes = 1;
      std::vector<std::unique_ptr<file_source>> srcs;
      for (uint32_t s = 0; s < par; ++s) {
        srcs.push_back(std::make_unique<file_source>(o));
        srcs.back()->open(test::subtask_context(s, par));  // sizes are taken here
      }
      std::atomic<bool> stop{false};
      std::thread writer([&] {
        // Fixed-width lines: a line cut short by a read racing the write can never equal
        // another line.
        for (int i = 0; i < 5000 && !stop; ++i) {
          auto n = std::to_string(100000 + i);
          test::append_file(path, "appended line " + n + " end\n");
        }
      });
      lines all;
      try {
        for (auto& s : srcs) {
          auto part = read_to_end(*s, 16);
          all.insert(all.end(), part.begin(), part.end());
        }
      } catch (...) {
        stop = true;
        writer.join();
        throw;
      }
      stop = true;
      writer.join();
      std::map<std::string, int> seen;
      for (const auto& l : all)
        ++seen[l];
      for (const auto& l : original)
        BOOST_TEST(seen.count(l) == 1u, "original '" << l << "' was not read");
      for (const auto& [l, n] : seen)
        BOOST_TEST(n == 1, "'" << l << "' read " << n << " times");
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
