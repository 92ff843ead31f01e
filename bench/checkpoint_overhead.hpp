// Part (a) of bench_checkpoint: throughput of the stateful job (bench/checkpoint_job.hpp) with
// checkpoints every 1000 ms and every 100 ms against the same job without checkpoints, run
// alternately in one process; medians and ratios to the no-checkpoint runs. Every run's output
// is checked against a reference loop. Header-only, included by bench/checkpoint.cpp only.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/checkpoint_job.hpp"
#include "bench/harness.hpp"

namespace sluice::bench {

/// A sink keeping the number of rows and the sum of their counters.
struct row_totals {
  std::atomic<uint64_t> rows{0};
  std::atomic<uint64_t> counter_sum{0};
};

class totals_sink final : public operator_logic {
 public:
  explicit totals_sink(std::shared_ptr<row_totals> t) : totals_(std::move(t)) {}
  void process(batch_base& in, emitter&) override {
    uint64_t sum = 0;
    const auto& rows = as_batch<std::pair<uint64_t, uint64_t>>(in).items;
    for (const auto& r : rows)
      sum += r.second;
    totals_->rows += rows.size();
    totals_->counter_sum += sum;
  }

 private:
  std::shared_ptr<row_totals> totals_;
};

/// One in-process run of the job; throws when it fails or emits other rows than `expect`.
struct state_run {
  double seconds = 0;
  double cpu = 0;
  job_result result;
};

inline state_run run_state_job(const state_job_params& p, const std::string& backend,
                               const std::string& checkpoint_dir, uint32_t interval_ms,
                               const expected_rows& expect, uint32_t retained = 3) {
  job_options o;
  o.state_backend = backend;
  o.checkpoint_dir = checkpoint_dir;
  o.checkpoint_interval_ms = interval_ms;
  o.checkpoints_retained = retained;
  if (checkpoint_dir.empty())
    o.state_dir = (std::filesystem::temp_directory_path() /
                   ("sluice-bench-ckpt-state-" + std::to_string(::getpid()))).string();
  auto totals = std::make_shared<row_totals>();
  double cpu0 = cpu_seconds();
  auto t0 = clock_type::now();
  state_run r;
  {
    environment env{o};
    build_state_job(env, p, keyed_update_fn{p, nullptr})
        .to([totals](const task_context&) -> operator_ptr {
              return std::make_unique<totals_sink>(totals);
            },
            "totals");
    r.result = env.execute();
  }
  r.seconds = seconds_since(t0);
  r.cpu = cpu_seconds() - cpu0;
  if (!o.state_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(o.state_dir, ec);
  }
  if (!r.result.ok)
    throw std::runtime_error("the job failed: " + r.result.error);
  if (totals->rows != expect.rows || totals->counter_sum != expect.counter_sum)
    throw std::runtime_error("wrong output (" + backend + "): " + std::to_string(totals->rows) +
                             " rows, counters summing to " + std::to_string(totals->counter_sum) +
                             "; expected " + std::to_string(expect.rows) + " and " +
                             std::to_string(expect.counter_sum));
  return r;
}

struct overhead_options {
  std::vector<std::string> backends{"memory", "rocksdb"};
  uint64_t keys = 100'000;
  uint32_t value_bytes = 100;
  uint64_t records_memory = 10'000'000;
  uint64_t records_rocksdb = 6'000'000;
  uint32_t parallelism = 2;
  int runs = 3;
};

/// Runs part (a); returns false when the 1000 ms target (≤ 5 % loss) is missed on some backend.
inline bool bench_overhead(const overhead_options& b, const std::string& tmp) {
  struct config {
    std::string name;
    uint32_t interval_ms;  // 0: no checkpoints at all
    std::vector<double> seconds, cpu, checkpoints, last_ms;
  };
  bool met = true;
  for (const auto& backend : b.backends) {
    state_job_params p;
    p.keys = b.keys;
    p.hot_keys = b.keys;
    p.value_bytes = b.value_bytes;
    p.updates = backend == "rocksdb" ? b.records_rocksdb : b.records_memory;
    p.parallelism = b.parallelism;
    auto expect = reference_rows(p);
    uint64_t records = p.keys + p.updates;
    std::printf(
        "\n(a) checkpoint overhead, %s backend: %llu keys of %u B (%.1f MB), %llu updates, "
        "keyed stage p=%u, %d rounds, load %s\n",
        backend.c_str(), static_cast<unsigned long long>(p.keys), p.value_bytes,
        static_cast<double>(p.keys * p.value_bytes) / 1e6,
        static_cast<unsigned long long>(p.updates), p.parallelism, b.runs, load_average().c_str());
    std::fflush(stdout);
    std::vector<config> configs{{"no checkpoints", 0, {}, {}, {}, {}},
                                {"every 1000 ms", 1000, {}, {}, {}, {}},
                                {"every 100 ms", 100, {}, {}, {}, {}}};
    for (int round = 0; round < b.runs; ++round) {
      std::printf("  round %d:", round + 1);
      for (auto& c : configs) {
        auto dir = c.interval_ms ? tmp + "/overhead-ck" : std::string{};
        std::error_code ec;
        std::filesystem::remove_all(tmp + "/overhead-ck", ec);
        auto r = run_state_job(p, backend, dir, c.interval_ms, expect);
        c.seconds.push_back(r.seconds);
        c.cpu.push_back(r.cpu);
        c.checkpoints.push_back(static_cast<double>(r.result.checkpoints_completed));
        c.last_ms.push_back(static_cast<double>(r.result.last_checkpoint_ms));
        std::printf(" %s %.2f s (%llu checkpoints);", c.name.c_str(), r.seconds,
                    static_cast<unsigned long long>(r.result.checkpoints_completed));
        std::fflush(stdout);
      }
      std::printf("\n");
    }
    std::printf("  %-16s %9s %12s %9s %8s %8s %12s %12s\n", "", "median s", "records/s",
                "ratio", "loss", "cpu s", "checkpoints", "last ckpt ms");
    double base = median(configs[0].seconds);
    for (const auto& c : configs) {
      double m = median(c.seconds);
      std::printf("  %-16s %9.3f %12.0f %8.3fx %7.1f%% %8.2f %12.0f %12.0f\n", c.name.c_str(), m,
                  static_cast<double>(records) / m, base / m, (1 - base / m) * 100,
                  median(c.cpu), median(c.checkpoints), median(c.last_ms));
    }
    double loss = 1 - base / median(configs[1].seconds);
    std::printf("  every run's output matched the reference (%llu rows)\n",
                static_cast<unsigned long long>(expect.rows));
    std::printf("  target: <= 5%% loss at 1000 ms (%s): %.1f%%, %s\n", backend.c_str(),
                loss * 100, loss <= 0.05 ? "met" : "MISSED");
    met = met && loss <= 0.05;
  }
  return met;
}

}  // namespace sluice::bench
