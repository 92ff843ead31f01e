// bench_wordcount: throughput of the word count pipeline (file source → split → key_by → count)
// beside a hand-written single-threaded loop that reads the same file(s), tokenizes them with the
// same tokenizer (examples/words.hpp) and counts into a std::unordered_map<std::string, int64_t>.
// Baseline and pipeline runs alternate, and the figures are printed as ratios to the baseline of
// the same run, because absolute times drift on a shared machine. Every pipeline run is checked
// against the baseline (same total and distinct word counts).
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench/harness.hpp"
#include "connectors/file_source.hpp"
#include "examples/words.hpp"
#include "sluice/sluice.hpp"

namespace fs = std::filesystem;

namespace {

using namespace sluice::bench;

struct bench_options {
  double size_mb = 100;
  std::string input;
  std::string seed = SLUICE_SOURCE_DIR "/examples/data/kjv.txt";
  std::vector<uint32_t> parallelism{1, 2};
  int runs = 5;
  uint32_t batch_size = 1024;
  uint32_t credits = 8;
  uint32_t threads = 0;
  bool metrics = false;
};

/// What one run counted, and how long it took (wall clock around the whole run).
struct count_result {
  double seconds = 0;
  uint64_t bytes = 0;
  uint64_t words = 0;
  uint64_t distinct = 0;
};

// -- input -------------------------------------------------------------------------------------

/// A temporary directory holding the generated corpus, removed at exit.
struct temp_corpus {
  fs::path dir;
  fs::path file;
  int copies = 0;
  ~temp_corpus() {
    std::error_code ec;
    if (!dir.empty())
      fs::remove_all(dir, ec);
  }
};

/// Writes `seed` repeated until the file holds at least `size_mb` MB.
void make_corpus(temp_corpus& c, const std::string& seed, double size_mb) {
  std::ifstream in(seed, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read seed text '" + seed + "'");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.empty())
    throw std::runtime_error("seed text '" + seed + "' is empty");
  if (text.back() != '\n')
    text.push_back('\n');
  std::string tmpl = (fs::temp_directory_path() / "sluice-bench-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    throw std::runtime_error("cannot create a temporary directory");
  c.dir = tmpl;
  c.file = c.dir / "corpus.txt";
  std::ofstream out(c.file, std::ios::binary);
  auto target = static_cast<uint64_t>(size_mb * 1e6);
  uint64_t written = 0;
  do {
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    written += text.size();
    ++c.copies;
  } while (written < target);
  if (!out.flush())
    throw std::runtime_error("cannot write corpus '" + c.file.string() + "'");
}

/// Reads every file once so that all runs find it in the page cache.
uint64_t warm_page_cache(const std::vector<std::string>& files) {
  std::vector<char> buf(1 << 20);
  uint64_t total = 0;
  for (const auto& f : files) {
    int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      throw std::runtime_error("cannot open '" + f + "'");
    ssize_t n;
    while ((n = ::read(fd, buf.data(), buf.size())) > 0)
      total += static_cast<uint64_t>(n);
    ::close(fd);
  }
  return total;
}

// -- baseline: the hand-written loop ------------------------------------------------------------

/// Reads the files in 1 MiB chunks and counts the words of each chunk; a word cut by a chunk end
/// is carried over to the next chunk.
count_result run_baseline(const std::vector<std::string>& files) {
  auto t0 = clock_type::now();
  count_result r;
  std::unordered_map<std::string, int64_t> counts;
  auto count = [&](std::string_view w) {
    ++counts[std::string(w)];
    ++r.words;
  };
  std::vector<char> buf(1 << 20);
  std::string carry;
  for (const auto& f : files) {
    int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      throw std::runtime_error("cannot open '" + f + "'");
    ssize_t n;
    while ((n = ::read(fd, buf.data(), buf.size())) > 0) {
      r.bytes += static_cast<uint64_t>(n);
      std::string_view chunk(buf.data(), static_cast<std::size_t>(n));
      auto space = [](char ch) { return sluice::examples::is_ascii_space(static_cast<unsigned char>(ch)); };
      auto first = std::find_if(chunk.begin(), chunk.end(), space);
      if (first == chunk.end()) {  // no word ends in this chunk
        carry.append(chunk);
        continue;
      }
      auto last = std::find_if(chunk.rbegin(), chunk.rend(), space).base();  // one past it
      carry.append(chunk.begin(), first);
      if (!carry.empty())
        count(carry);
      carry.assign(last, chunk.end());
      sluice::examples::for_each_word(std::string_view(&*first, static_cast<std::size_t>(last - first)), count);
    }
    ::close(fd);
    if (n < 0)
      throw std::runtime_error("cannot read '" + f + "'");
    if (!carry.empty())  // a file's end ends its last word
      count(carry);
    carry.clear();
  }
  r.distinct = counts.size();
  r.seconds = seconds_since(t0);
  return r;
}

// -- the pipeline -------------------------------------------------------------------------------

struct row_totals {
  std::atomic<uint64_t> rows{0};
  std::atomic<uint64_t> words{0};
};

/// Sink that keeps only the number of (word, count) rows and the sum of the counts.
class total_sink final : public sluice::operator_logic {
 public:
  explicit total_sink(std::shared_ptr<row_totals> t) : totals_(std::move(t)) {}
  void process(sluice::batch_base& in, sluice::emitter&) override {
    uint64_t sum = 0;
    const auto& rows = sluice::as_batch<std::pair<std::string, int64_t>>(in).items;
    for (const auto& row : rows)
      sum += static_cast<uint64_t>(row.second);
    totals_->rows += rows.size();
    totals_->words += sum;
  }

 private:
  std::shared_ptr<row_totals> totals_;
};

struct pipeline_result {
  count_result counted;
  std::string metrics_json;
};

pipeline_result run_pipeline(const std::string& input, uint32_t parallelism, const bench_options& b) {
  sluice::job_options o;
  o.parallelism = parallelism;
  o.batch_size = b.batch_size;
  o.credits = b.credits;
  o.threads = b.threads;
  auto totals = std::make_shared<row_totals>();
  auto t0 = clock_type::now();
  sluice::environment env{o};
  env.read_text(input)
      .uid("lines")
      .flat_map<std::string>(
          [](const std::string& line, sluice::collector<std::string>& out) {
            sluice::examples::for_each_word(line, [&](std::string_view w) { out.emplace(w); });
          },
          "split")
      .key_by([](const std::string& w) -> const std::string& { return w; })
      .count({}, "count")
      .to([totals](const sluice::task_context&) -> sluice::operator_ptr {
            return std::make_unique<total_sink>(totals);
          },
          "totals");
  auto r = env.execute();
  pipeline_result p;
  p.counted.seconds = seconds_since(t0);
  if (!r.ok)
    throw std::runtime_error("pipeline failed: " + r.error);
  const auto* split = r.find("split");
  p.counted.bytes = r.bytes_read;
  p.counted.words = split ? split->records_out : 0;
  p.counted.distinct = totals->rows;
  if (totals->words != p.counted.words)
    throw std::runtime_error("pipeline counts sum to " + std::to_string(totals->words.load()) +
                             " but split emitted " + std::to_string(p.counted.words) + " words");
  p.metrics_json = r.to_json();
  return p;
}

// -- report -------------------------------------------------------------------------------------

struct series {
  std::string name;
  std::vector<double> seconds;
  std::vector<double> cpu;  // CPU seconds of each run
  double best() const { return *std::min_element(seconds.begin(), seconds.end()); }
  double med() const { return median(seconds); }
  double med_cpu() const { return median(cpu); }
};

void print_table(const std::vector<series>& all, uint64_t bytes, uint64_t words) {
  const auto& base = all.front();
  std::printf("%-20s %7s %9s %9s %8s %8s %8s %8s %8s\n", "", "best s", "best MB/s", "best Mw/s",
              "median s", "ratio", "ratio", "cpu s", "cpu");
  std::printf("%-20s %7s %9s %9s %8s %8s %8s %8s %8s\n", "", "", "", "", "", "(best)", "(median)",
              "(median)", "vs base");
  for (const auto& s : all) {
    double b = s.best(), m = s.med();
    std::printf("%-20s %7.3f %9.1f %9.2f %8.3f %7.2fx %7.2fx %8.3f %7.2fx\n", s.name.c_str(), b,
                static_cast<double>(bytes) / 1e6 / b, static_cast<double>(words) / 1e6 / b, m,
                base.best() / b, base.med() / m, s.med_cpu(), s.med_cpu() / base.med_cpu());
  }
}

/// Throws when `got` counted other words than `base`; a differing byte count only adds a note.
void check_same(const count_result& base, const count_result& got, const std::string& what,
                std::set<std::string>& notes) {
  if (got.words != base.words || got.distinct != base.distinct) {
    std::ostringstream m;
    m << what << " disagrees with the baseline: " << got.words << " words, " << got.distinct
      << " distinct vs " << base.words << ", " << base.distinct;
    throw std::runtime_error(m.str());
  }
  // Throughput is computed from the input's size either way.
  if (got.bytes != base.bytes)
    notes.insert("note: " + what + ": job_result.bytes_read = " + std::to_string(got.bytes) +
                 ", the input holds " + std::to_string(base.bytes) + " bytes");
}

}  // namespace

int main(int argc, char** argv) {
  bench_options b;
  CLI::App app{"Word count throughput of the pipeline vs a hand-written single-threaded loop."};
  app.add_option("--size-mb", b.size_mb, "Size of the generated corpus (seed text repeated), MB")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--input", b.input, "Use this file or directory instead of a generated corpus");
  app.add_option("--seed", b.seed, "Text repeated to build the corpus")->capture_default_str();
  app.add_option("-p,--parallelism", b.parallelism, "Pipeline parallelism(s) to run")
      ->delimiter(',')->capture_default_str();
  app.add_option("--runs", b.runs, "Alternating rounds (baseline, then each parallelism)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--batch-size", b.batch_size, "job_options::batch_size")->capture_default_str();
  app.add_option("--credits", b.credits, "job_options::credits")->capture_default_str();
  app.add_option("--threads", b.threads, "job_options::threads (0: the runtime's default)")
      ->capture_default_str();
  app.add_flag("--metrics", b.metrics, "Print the job metrics (JSON) of each parallelism's last run");
  CLI11_PARSE(app, argc, argv);

  try {
    temp_corpus corpus;
    std::string input = b.input;
    if (input.empty()) {
      make_corpus(corpus, b.seed, b.size_mb);
      input = corpus.file.string();
    }
    auto files = sluice::list_input_files(input);
    uint64_t bytes = warm_page_cache(files);
    std::printf("bench_wordcount: %.1f MB in %zu file(s)", static_cast<double>(bytes) / 1e6, files.size());
    if (corpus.copies > 0)
      std::printf(" (%s x%d)", fs::path(b.seed).filename().c_str(), corpus.copies);
    std::printf(", %d rounds, batch %u, credits %u, threads %s, %u cores, load %s\n", b.runs,
                b.batch_size, b.credits, b.threads ? std::to_string(b.threads).c_str() : "default",
                std::thread::hardware_concurrency(), load_average().c_str());
    std::fflush(stdout);

    std::vector<series> all{{"baseline (1 thread)", {}, {}}};
    for (auto p : b.parallelism)
      all.push_back({"sluice p=" + std::to_string(p), {}, {}});
    std::vector<std::string> last_metrics(b.parallelism.size());
    count_result reference;
    std::set<std::string> notes;
    for (int round = 0; round < b.runs; ++round) {
      double cpu0 = cpu_seconds();
      auto base = run_baseline(files);
      all[0].cpu.push_back(cpu_seconds() - cpu0);
      if (round == 0)
        reference = base;
      check_same(reference, base, "baseline", notes);
      all[0].seconds.push_back(base.seconds);
      std::printf("round %d: baseline %.3f s", round + 1, base.seconds);
      for (std::size_t i = 0; i < b.parallelism.size(); ++i) {
        cpu0 = cpu_seconds();
        auto got = run_pipeline(input, b.parallelism[i], b);
        all[i + 1].cpu.push_back(cpu_seconds() - cpu0);
        check_same(reference, got.counted, all[i + 1].name, notes);
        all[i + 1].seconds.push_back(got.counted.seconds);
        last_metrics[i] = std::move(got.metrics_json);
        std::printf(", p=%u %.3f s", b.parallelism[i], got.counted.seconds);
        std::fflush(stdout);
      }
      std::printf("\n");
    }
    std::printf("%llu words, %llu distinct; every pipeline run matched the baseline's counts\n",
                static_cast<unsigned long long>(reference.words),
                static_cast<unsigned long long>(reference.distinct));
    for (const auto& n : notes)
      std::printf("%s\n", n.c_str());
    print_table(all, reference.bytes, reference.words);
    for (std::size_t i = 0; i < b.parallelism.size(); ++i) {
      if (b.parallelism[i] != 2)
        continue;
      double r = all[0].med() / all[i + 1].med();
      std::printf("target: word count at p=2 >= 0.5x baseline (aim 1x): median ratio %.2fx, %s\n", r,
                  r >= 1 ? "aim reached" : r >= 0.5 ? "target met" : "MISSED");
    }
    if (b.metrics)
      for (std::size_t i = 0; i < b.parallelism.size(); ++i)
        std::printf("metrics p=%u:\n%s\n", b.parallelism[i], last_metrics[i].c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_wordcount: error: %s\n", e.what());
    return 1;
  }
}
