// Helpers of the example tests: the example binaries, an independent word count, readers of the
// word count's output and a text hard on a word counter; plus the shared process runner (run an
// example as a user would), scratch directory and file helpers of tests/fakes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fakes/child_process.hpp"
#include "tests/fakes/rng.hpp"
#include "tests/fakes/temp_dir.hpp"

namespace sluice::test {

inline const std::string wordcount_binary = SLUICE_BINARY_DIR "/examples/wordcount";
inline const std::string kjv_path = SLUICE_SOURCE_DIR "/examples/data/kjv.txt";

inline run_result run_wordcount(const std::vector<std::string>& args) {
  return run(wordcount_binary, args);
}

using word_counts = std::map<std::string, int64_t>;

/// The reference word count, written independently of examples/words.hpp: a word is a maximal
/// run of bytes other than the six ASCII whitespace bytes.
inline word_counts count_words(std::string_view text, word_counts counts = {}) {
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
  };
  std::size_t i = 0;
  while (i < text.size()) {
    if (is_space(text[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && !is_space(text[j]))
      ++j;
    ++counts[std::string(text.substr(i, j - i))];
    i = j;
  }
  return counts;
}

/// One output line, split into its two fields.
struct row {
  std::string word;
  int64_t count = 0;
};

/// Splits "word<TAB>count" lines; `bad` collects lines that do not have that shape.
inline std::vector<row> parse_rows(std::string_view text, std::vector<std::string>& bad) {
  std::vector<row> rows;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      bad.push_back("unterminated: " + std::string(text.substr(start, 200)));
      break;
    }
    auto line = text.substr(start, nl - start);
    start = nl + 1;
    auto tab = line.find('\t');
    auto digits = tab == std::string_view::npos ? std::string_view{} : line.substr(tab + 1);
    bool ok = tab != std::string_view::npos && tab > 0 && !digits.empty() && digits.size() < 19 &&
              digits.find_first_not_of("0123456789") == std::string_view::npos && digits[0] != '0';
    if (!ok) {
      bad.push_back(std::string(line.substr(0, 200)));
      continue;
    }
    rows.push_back({std::string(line.substr(0, tab)), std::stoll(std::string(digits))});
  }
  return rows;
}

/// A committed part file of the output directory: subtask S and, outside complete mode, its
/// sequence number N ("part-S-N"; complete mode writes "part-S", N = 0).
struct part_file {
  std::string name;
  uint64_t subtask = 0;
  uint64_t seq = 0;
};

/// The visible part files of `dir` in commit order per subtask.
inline std::vector<part_file> part_files(const std::string& dir) {
  std::vector<part_file> parts;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (name.rfind("part-", 0) != 0)
      continue;
    part_file p{name};
    auto rest = name.substr(5);
    auto dash = rest.find('-');
    p.subtask = std::stoull(rest.substr(0, dash));
    if (dash != std::string::npos)
      p.seq = std::stoull(rest.substr(dash + 1));
    parts.push_back(p);
  }
  std::sort(parts.begin(), parts.end(), [](const part_file& a, const part_file& b) {
    return a.subtask != b.subtask ? a.subtask < b.subtask : a.seq < b.seq;
  });
  return parts;
}

/// Names in `dir` starting with '.' (in-progress files a finished job should not leave behind).
inline std::vector<std::string> hidden_files(const std::string& dir) {
  std::vector<std::string> v;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string()[0] == '.')
      v.push_back(e.path().filename().string());
  return v;
}

/// A text that is hard on a word counter: invalid UTF-8, NUL and control bytes, non-ASCII
/// spaces (which are not separators), every ASCII separator, CRLF and lone CR, empty and blank
/// lines, a word longer than any read buffer, no final newline.
inline std::string tricky_text(uint64_t seed, std::size_t lines) {
  static const std::vector<std::string> words = {
      "word", "Word", "WORD", "word,", "w\xc3\xb6rd", "caf\xc3\xa9", "cafe\xcc\x81",
      std::string("nul\0byte", 8), std::string("\0", 1), "\xff", "\xfe\xff", "\xc3\x28",
      "\xed\xa0\x80", "\xc2\xa0", "a\xc2\xa0" "b", "\xe2\x80\x8b", "\xe3\x80\x80", "\x85",
      "\x7f", "\x01\x02", "\x1b[31mred\x1b[0m", "\xf0\x9f\x98\x80", "--help", "Batch:",
      "-------------------------------------------", "part-0", "1", "0", "-1", "a", "\"", "\\"};
  static const std::vector<std::string> seps = {" ", " ", " ", "  ", "\t", "\v", "\f", "\r", " \t "};
  rng r{seed};
  std::string text;
  for (std::size_t l = 0; l < lines; ++l) {
    auto kind = r.below(20);
    if (kind == 0) {
      // empty line
    } else if (kind == 1) {
      text += " \t \v ";  // blank line
    } else {
      auto n = 1 + r.below(12);
      if (r.below(3) == 0)
        text += seps[r.below(seps.size())];  // leading separator
      for (uint64_t i = 0; i < n; ++i) {
        if (i > 0)
          text += seps[r.below(seps.size())];
        text += words[r.below(words.size())];
      }
    }
    text += r.below(4) == 0 ? "\r\n" : "\n";
  }
  text += std::string(1500000, 'L') + " long-word-neighbour\n";  // a word past the 1 MiB read chunk
  text += "no final newline";
  return text;
}

}  // namespace sluice::test
