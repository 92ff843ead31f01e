// Helpers of the example tests: run an example binary as a user would (arguments in, exit status,
// stdout and stderr out), scratch directories, an independent word count, and readers of the
// word count's output.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace sluice::test {

inline const std::string wordcount_binary = SLUICE_BINARY_DIR "/examples/wordcount";
inline const std::string kjv_path = SLUICE_SOURCE_DIR "/examples/data/kjv.txt";

/// A fresh directory under the system temp dir, removed with everything in it on destruction.
class temp_dir {
 public:
  temp_dir() {
    auto tmpl = (std::filesystem::temp_directory_path() / "sluice-examples-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
      throw std::runtime_error("mkdtemp failed for " + tmpl);
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f)
    throw std::runtime_error("cannot write " + path);
}

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// How a finished child process ended, and what it wrote.
struct run_result {
  bool exited = false;  ///< ended by returning from main / exit(), not by a signal
  int code = -1;        ///< exit code when `exited`
  int signal = 0;       ///< the signal that ended it otherwise
  bool timed_out = false;
  std::string out;
  std::string err;

  /// For failure messages.
  std::string describe() const {
    std::string s = exited ? "exit " + std::to_string(code) : "signal " + std::to_string(signal);
    if (timed_out)
      s += " (killed: did not finish)";
    return s + "; stderr: " + err.substr(0, 2000);
  }
};

/// Runs `binary` with `args`, stdin from /dev/null, stdout and stderr captured to files. A run that
/// does not end within `limit` is killed (a hang guard, never a measured time).
inline run_result run(const std::string& binary, const std::vector<std::string>& args,
                      std::chrono::seconds limit = std::chrono::seconds(120)) {
  temp_dir io;
  auto out_path = io / "stdout";
  auto err_path = io / "stderr";
  std::vector<std::string> argv_s{binary};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0)
      ::_exit(126);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  run_result r;
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid)
      break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.exited = WIFEXITED(status);
  r.code = r.exited ? WEXITSTATUS(status) : -1;
  r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  return r;
}

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

/// splitmix64: the same numbers on every platform and standard library.
class rng {
 public:
  explicit rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return next() % n; }

 private:
  uint64_t s_;
};

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
