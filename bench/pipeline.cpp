// bench_pipeline: records/s of a stateless pipeline, generator → map → filter → counting sink,
// beside a hand-written loop doing the same map and filter work on one thread, measured
// alternately in the same run and printed as ratios (absolute times drift on a shared machine).
// Two shapes run: "chained" (every operator forward at one parallelism, so each subtask is one
// actor running the whole chain) and "exchange" (a rebalance between map and filter, so every
// batch also crosses actors through the credit-based channels). The sink keeps only a count and
// a checksum, which must equal the baseline's.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench/harness.hpp"
#include "sluice/sluice.hpp"

namespace {

using namespace sluice::bench;

struct bench_options {
  uint64_t records = 100'000'000;
  std::vector<uint32_t> parallelism{1, 2};
  int runs = 5;
  uint32_t batch_size = 1024;
  uint32_t credits = 8;
  uint32_t threads = 0;
  bool exchange = true;
};

// The work: the map mixes the bits of a record (splitmix64's finalizer), the filter keeps the
// three quarters whose two low bits are not both zero.
inline uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
inline bool keep(uint64_t x) { return (x & 3) != 0; }

struct tally {
  uint64_t kept = 0;
  uint64_t checksum = 0;  // wrapping sum of the kept records
  bool operator==(const tally&) const = default;
};

struct timed_tally {
  double seconds = 0;
  tally t;
};

timed_tally run_baseline(uint64_t n) {
  auto t0 = clock_type::now();
  tally t;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t y = mix(i);
    if (keep(y)) {
      ++t.kept;
      t.checksum += y;
    }
  }
  return {seconds_since(t0), t};
}

struct shared_tally {
  std::atomic<uint64_t> kept{0};
  std::atomic<uint64_t> checksum{0};
};

/// Sink that adds each batch's size and sum to shared totals (no record is stored).
class tally_sink final : public sluice::operator_logic {
 public:
  explicit tally_sink(std::shared_ptr<shared_tally> t) : totals_(std::move(t)) {}
  void process(sluice::batch_base& in, sluice::emitter&) override {
    const auto& xs = sluice::as_batch<uint64_t>(in).items;
    uint64_t sum = 0;
    for (auto x : xs)
      sum += x;
    totals_->kept += xs.size();
    totals_->checksum += sum;
  }

 private:
  std::shared_ptr<shared_tally> totals_;
};

timed_tally run_pipeline(uint32_t parallelism, bool exchange, const bench_options& b) {
  sluice::job_options o;
  o.parallelism = parallelism;
  o.batch_size = b.batch_size;
  o.credits = b.credits;
  o.threads = b.threads;
  auto totals = std::make_shared<shared_tally>();
  auto t0 = clock_type::now();
  sluice::environment env{o};
  auto mapped = env.generate<uint64_t>(b.records, [](uint64_t i) { return i; })
                    .map([](const uint64_t& x) { return mix(x); }, "map");
  auto filtered = (exchange ? mapped.rebalance() : mapped)
                      .filter([](const uint64_t& x) { return keep(x); }, "filter");
  filtered.to([totals](const sluice::task_context&) -> sluice::operator_ptr {
                return std::make_unique<tally_sink>(totals);
              },
              "tally");
  auto r = env.execute();
  double secs = seconds_since(t0);
  if (!r.ok)
    throw std::runtime_error("pipeline failed: " + r.error);
  if (r.source_records != b.records)
    throw std::runtime_error("the generator emitted " + std::to_string(r.source_records) +
                             " records, expected " + std::to_string(b.records));
  return {secs, tally{totals->kept.load(), totals->checksum.load()}};
}

struct config {
  std::string name;
  uint32_t parallelism = 0;  // 0: the baseline
  bool exchange = false;
  std::vector<double> seconds;
  std::vector<double> cpu;  // CPU seconds of each run
  double best() const { return *std::min_element(seconds.begin(), seconds.end()); }
  double med() const { return median(seconds); }
  double med_cpu() const { return median(cpu); }
};

void print_table(const std::vector<config>& all, uint64_t n) {
  const auto& base = all.front();
  std::printf("%-24s %7s %11s %8s %11s %8s %8s %8s %8s\n", "", "best s", "best Mrec/s",
              "median s", "median Mr/s", "ratio", "ratio", "cpu s", "cpu");
  std::printf("%-24s %7s %11s %8s %11s %8s %8s %8s %8s\n", "", "", "", "", "", "(best)",
              "(median)", "(median)", "vs base");
  for (const auto& c : all) {
    double b = c.best(), m = c.med();
    auto rate = [n](double s) { return static_cast<double>(n) / 1e6 / s; };
    std::printf("%-24s %7.3f %11.1f %8.3f %11.1f %7.3fx %7.3fx %8.3f %7.2fx\n", c.name.c_str(), b,
                rate(b), m, rate(m), base.best() / b, base.med() / m, c.med_cpu(),
                c.med_cpu() / base.med_cpu());
  }
}

}  // namespace

int main(int argc, char** argv) {
  bench_options b;
  CLI::App app{"Records/s of generator → map → filter → sink vs a hand-written loop."};
  app.add_option("-n,--records", b.records, "Records generated per run")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("-p,--parallelism", b.parallelism, "Pipeline parallelism(s) to run")
      ->delimiter(',')->capture_default_str();
  app.add_option("--runs", b.runs, "Alternating rounds (baseline, then each configuration)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--batch-size", b.batch_size, "job_options::batch_size")->capture_default_str();
  app.add_option("--credits", b.credits, "job_options::credits")->capture_default_str();
  app.add_option("--threads", b.threads, "job_options::threads (0: the runtime's default)")
      ->capture_default_str();
  app.add_flag("!--no-exchange", b.exchange, "Skip the shape with a rebalance between map and filter");
  CLI11_PARSE(app, argc, argv);

  try {
    std::printf("bench_pipeline: %llu records per run, %d rounds, batch %u, credits %u, threads %s, "
                "%u cores, load %s\n",
                static_cast<unsigned long long>(b.records), b.runs, b.batch_size, b.credits,
                b.threads ? std::to_string(b.threads).c_str() : "default",
                std::thread::hardware_concurrency(), load_average().c_str());
    std::vector<config> all{{"baseline loop (1 thread)", 0, false, {}, {}}};
    for (auto p : b.parallelism)
      all.push_back({"chained p=" + std::to_string(p), p, false, {}, {}});
    if (b.exchange)
      for (auto p : b.parallelism)
        all.push_back({"exchange p=" + std::to_string(p), p, true, {}, {}});
    tally reference;
    for (int round = 0; round < b.runs; ++round) {
      std::printf("round %d:", round + 1);
      for (auto& c : all) {
        double cpu0 = cpu_seconds();
        auto r = c.parallelism == 0 ? run_baseline(b.records) : run_pipeline(c.parallelism, c.exchange, b);
        c.cpu.push_back(cpu_seconds() - cpu0);
        if (round == 0 && c.parallelism == 0)
          reference = r.t;
        if (!(r.t == reference))
          throw std::runtime_error(c.name + " kept " + std::to_string(r.t.kept) +
                                   " records, the baseline " + std::to_string(reference.kept));
        c.seconds.push_back(r.seconds);
        std::printf(" %s %.3f s;", c.name.c_str(), r.seconds);
        std::fflush(stdout);
      }
      std::printf("\n");
    }
    std::printf("%llu of %llu records kept by the filter; every run matched the baseline's tally\n",
                static_cast<unsigned long long>(reference.kept),
                static_cast<unsigned long long>(b.records));
    print_table(all, b.records);
    for (const auto& c : all)
      if (c.parallelism > 0 && !c.exchange) {
        double rate = static_cast<double>(b.records) / c.med() / 1e6;
        std::printf("target: %s >= 20 M records/s: median %.1f M records/s, %s\n", c.name.c_str(),
                    rate, rate >= 20 ? "met" : "MISSED");
      }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_pipeline: error: %s\n", e.what());
    return 1;
  }
}
