// examples/wordcount, run as a user runs it: its counts against an independent count.
#include <boost/test/unit_test.hpp>

#include <set>

#include "tests/connectors/local_server.hpp"
#include "tests/examples/support.hpp"

using namespace sluice::test;
namespace fs = std::filesystem;

namespace {

/// Printable form of a word with arbitrary bytes, for failure messages.
std::string escaped(const std::string& w) {
  std::string s;
  for (unsigned char c : w.substr(0, 60)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      s.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      s += buf;
    }
  }
  return w.size() > 60 ? s + "...(" + std::to_string(w.size()) + " bytes)" : s;
}

/// The first differences between two counts, empty when equal.
std::string differences(const word_counts& expected, const word_counts& actual) {
  std::string d;
  int shown = 0;
  for (const auto& [w, n] : expected) {
    auto it = actual.find(w);
    if (it == actual.end() || it->second != n) {
      if (shown++ < 10)
        d += "\n  '" + escaped(w) + "': expected " + std::to_string(n) + ", got " +
             (it == actual.end() ? std::string{"nothing"} : std::to_string(it->second));
    }
  }
  for (const auto& [w, n] : actual)
    if (!expected.count(w) && shown++ < 10)
      d += "\n  '" + escaped(w) + "': not expected, got " + std::to_string(n);
  if (!d.empty())
    d = std::to_string(shown) + " words differ (" + std::to_string(expected.size()) +
        " expected, " + std::to_string(actual.size()) + " got):" + d;
  return d;
}

void require_success(const run_result& r) {
  BOOST_REQUIRE_MESSAGE(r.exited && r.code == 0, "wordcount failed: " << r.describe());
  BOOST_TEST(r.err.empty(), "stderr of a successful run: " << r.err.substr(0, 500));
}

/// Rows of every committed part file of `dir`, in commit order per subtask, with the checks
/// every output must pass: well-formed lines and no in-progress file left behind.
std::vector<std::vector<row>> committed_rows(const std::string& dir) {
  BOOST_TEST(hidden_files(dir).empty(), "in-progress files left behind in " << dir);
  std::vector<std::vector<row>> out;
  for (const auto& p : part_files(dir)) {
    std::vector<std::string> bad;
    out.push_back(parse_rows(read_file(dir + "/" + p.name), bad));
    BOOST_TEST(bad.empty(), p.name << " has lines not shaped word<TAB>count, first: '"
                                   << (bad.empty() ? "" : escaped(bad[0])) << "'");
  }
  return out;
}

/// The counts of an output holding one line per word (complete and append modes).
word_counts one_line_per_word(const std::string& dir) {
  word_counts counts;
  std::size_t repeated = 0;
  std::string first_repeat;
  for (const auto& part : committed_rows(dir))
    for (const auto& r : part)
      if (!counts.emplace(r.word, r.count).second && repeated++ == 0)
        first_repeat = r.word;
  BOOST_TEST(repeated == 0u, repeated << " words have more than one line, e.g. '" << escaped(first_repeat) << "'");
  return counts;
}

word_counts run_to_files(const std::vector<std::string>& input_args, const std::string& out_dir,
                         std::vector<std::string> extra = {}) {
  auto args = input_args;
  args.insert(args.end(), {"--output", out_dir});
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = run_wordcount(args);
  require_success(r);
  BOOST_TEST(r.out.empty(), "with --output nothing goes to stdout");
  return one_line_per_word(out_dir);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wordcount_results)

BOOST_AUTO_TEST_CASE(counts_of_the_kjv_text_equal_an_independent_count) {
  temp_dir dir;
  auto expect = count_words(read_file(kjv_path));
  BOOST_REQUIRE(expect.size() > 10000u);
  auto got = run_to_files({"--input", kjv_path, "--parallelism", "2"}, dir / "out");
  BOOST_TEST(differences(expect, got).empty(), differences(expect, got));
}

BOOST_AUTO_TEST_CASE(parallelism_1_and_4_give_identical_final_counts) {
  temp_dir dir;
  auto expect = count_words(read_file(kjv_path));
  auto one = run_to_files({"--input", kjv_path, "--parallelism", "1"}, dir / "p1");
  auto four = run_to_files({"--input", kjv_path, "--parallelism", "4"}, dir / "p4");
  BOOST_TEST(differences(one, four).empty(), differences(one, four));
  BOOST_TEST(differences(expect, four).empty(), differences(expect, four));
  BOOST_TEST(part_files(dir / "p4").size() == 4u, "one part file per count subtask");
}

BOOST_AUTO_TEST_CASE(tricky_bytes_are_counted_byte_for_byte) {
  temp_dir dir;
  auto text = tricky_text(2024, 20000);
  write_file(dir / "tricky.txt", text);
  auto expect = count_words(text);
  for (std::string par : {"1", "3"}) {
    BOOST_TEST_CONTEXT("parallelism " << par) {
      auto got = run_to_files({"--input", dir / "tricky.txt", "--parallelism", par}, dir / ("out" + par));
      BOOST_TEST(differences(expect, got).empty(), differences(expect, got));
    }
  }
}

BOOST_AUTO_TEST_CASE(append_mode_without_windows_gives_one_final_line_per_word) {
  temp_dir dir;
  auto text = tricky_text(7, 3000);
  write_file(dir / "in.txt", text);
  auto got = run_to_files({"--input", dir / "in.txt", "--parallelism", "2"}, dir / "out",
                          {"--output-mode", "append"});
  BOOST_TEST(differences(count_words(text), got).empty(), differences(count_words(text), got));
}

BOOST_AUTO_TEST_CASE(update_mode_with_a_trigger_ends_with_the_reference_count_per_word) {
  temp_dir dir;
  auto expect = count_words(read_file(kjv_path));
  auto r = run_wordcount({"--input", kjv_path, "--parallelism", "2", "--output", dir / "out",
                          "--output-mode", "update", "--trigger-ms", "2", "--transfer-batch-size", "64"});
  require_success(r);
  word_counts last;
  std::size_t decreases = 0, repeats_in_one_trigger = 0;
  for (const auto& part : committed_rows(dir / "out")) {
    std::set<std::string> in_this_part;
    for (const auto& row : part) {
      if (!in_this_part.insert(row.word).second)
        ++repeats_in_one_trigger;
      auto [it, fresh] = last.emplace(row.word, row.count);
      if (!fresh) {
        decreases += row.count < it->second;
        it->second = row.count;
      }
    }
  }
  BOOST_TEST(differences(expect, last).empty(), differences(expect, last));
  BOOST_TEST(decreases == 0u, "a word's count went down between triggers");
  BOOST_TEST(repeats_in_one_trigger == 0u, "a word appeared twice in one trigger's rows");
}

BOOST_AUTO_TEST_CASE(console_output_prints_each_word_once_under_a_batch_header) {
  temp_dir dir;
  auto text = tricky_text(99, 2000);
  write_file(dir / "in.txt", text);
  auto r = run_wordcount({"--input", dir / "in.txt", "--parallelism", "2"});
  require_success(r);
  // Header lines have no tab; every other line is a row.
  std::string rows_text, headers;
  std::size_t start = 0;
  while (start < r.out.size()) {
    auto nl = r.out.find('\n', start);
    if (nl == std::string::npos)
      nl = r.out.size() - 1;
    auto line = r.out.substr(start, nl + 1 - start);
    (line.find('\t') == std::string::npos ? headers : rows_text) += line;
    start = nl + 1;
  }
  BOOST_TEST(headers == "-------------------------------------------\nBatch: 0\n"
                        "-------------------------------------------\n");
  std::vector<std::string> bad;
  word_counts got;
  std::size_t repeated = 0;
  for (const auto& row : parse_rows(rows_text, bad))
    repeated += !got.emplace(row.word, row.count).second;
  BOOST_TEST(bad.empty());
  BOOST_TEST(repeated == 0u);
  BOOST_TEST(differences(count_words(text), got).empty(), differences(count_words(text), got));
}

BOOST_AUTO_TEST_CASE(a_directory_input_counts_its_visible_files_only) {
  temp_dir dir;
  fs::create_directory(dir.path() / "in");
  auto a = tricky_text(1, 500), b = std::string("alpha beta\nbeta\n"), c = std::string("gamma");
  write_file(dir / "in/a.txt", a);
  write_file(dir / "in/b.txt", b);
  write_file(dir / "in/c", c);
  write_file(dir / "in/empty", "");
  write_file(dir / "in/.hidden", "hidden words\n");
  write_file(dir / "in/_in_progress", "in progress words\n");
  auto expect = count_words(c, count_words(b, count_words(a)));
  auto got = run_to_files({"--input", dir / "in", "--parallelism", "3"}, dir / "out");
  BOOST_TEST(differences(expect, got).empty(), differences(expect, got));
}

BOOST_AUTO_TEST_CASE(socket_input_counts_what_a_local_server_sends) {
  temp_dir dir;
  auto text = tricky_text(5, 5000);
  local_server server{[&](int fd) { send_all(fd, text); }};
  auto got = run_to_files({"--socket", server.address(), "--parallelism", "2"}, dir / "out");
  BOOST_TEST(server.served());
  BOOST_TEST(differences(count_words(text), got).empty(), differences(count_words(text), got));
}

BOOST_AUTO_TEST_CASE(an_empty_input_file_gives_an_empty_result) {
  temp_dir dir;
  write_file(dir / "empty.txt", "");
  auto got = run_to_files({"--input", dir / "empty.txt", "--parallelism", "2"}, dir / "out");
  BOOST_TEST(got.empty());
  auto r = run_wordcount({"--input", dir / "empty.txt"});
  require_success(r);
}

BOOST_AUTO_TEST_CASE(empty_lines_and_a_ten_mebibyte_line_are_counted) {
  temp_dir dir;
  std::string text = "\n\n\r\n   \n";
  std::string big;
  big.reserve(11u << 20);
  for (int i = 0; big.size() < (10u << 20); ++i) {
    big += 'w';
    big += std::to_string(i % 5000);
    big += i % 7 == 0 ? '\t' : ' ';
  }
  big += std::string(1200000, 'Z');  // one word longer than the read chunk, inside the line
  text += big + "\n\n\nlast line\n";
  write_file(dir / "big.txt", text);
  auto got = run_to_files({"--input", dir / "big.txt", "--parallelism", "2"}, dir / "out");
  BOOST_TEST(differences(count_words(text), got).empty(), differences(count_words(text), got));
}

BOOST_AUTO_TEST_CASE(rerunning_into_the_same_directory_replaces_the_earlier_result) {
  temp_dir dir;
  write_file(dir / "old.txt", "old words that must go away\n");
  write_file(dir / "new.txt", "new words\n");
  run_to_files({"--input", dir / "old.txt", "--parallelism", "2"}, dir / "out");
  auto got = run_to_files({"--input", dir / "new.txt", "--parallelism", "2"}, dir / "out");
  BOOST_TEST(differences(count_words("new words\n"), got).empty(),
             differences(count_words("new words\n"), got));
}

BOOST_AUTO_TEST_CASE(rerunning_with_lower_parallelism_still_leaves_one_line_per_word) {
  temp_dir dir;
  std::string text = "a b c d e f g h i j k l m n o p q r s t u v w x y z\n";
  write_file(dir / "in.txt", text);
  run_to_files({"--input", dir / "in.txt", "--parallelism", "4"}, dir / "out");
  auto got = run_to_files({"--input", dir / "in.txt", "--parallelism", "2"}, dir / "out");
  BOOST_TEST(differences(count_words(text), got).empty(), differences(count_words(text), got));
}

BOOST_AUTO_TEST_CASE(top_prints_the_most_frequent_words_of_the_output) {
  temp_dir dir;
  write_file(dir / "in.txt", "b a c a b a\nd\n");
  auto r = run_wordcount({"--input", dir / "in.txt", "--output", dir / "out", "--top", "2"});
  require_success(r);
  BOOST_TEST(r.out.rfind("Top 2 of 4 distinct words:\n  3\ta\n  2\tb\n", 0) == 0u, r.out);
}

BOOST_AUTO_TEST_SUITE_END()
