// Part (b) of bench_checkpoint: checkpoint duration and bytes written against the total size of
// the keyed state. For each size the job loads the state (keys of `value_bytes`), then updates
// keys of a small hot set at a fixed rate while checkpoints are taken; a checkpoint_probe reads
// each checkpoint's duration (manifest) and its new bytes (files not hard-linked from the
// previous checkpoint). Only "steady" checkpoints count: those whose whole interval fell in the
// update phase. Header-only, included by bench/checkpoint.cpp only.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <unordered_set>
#include <vector>

#include "bench/checkpoint_overhead.hpp"
#include "bench/checkpoint_probe.hpp"

namespace sluice::bench {

struct scaling_options {
  std::vector<double> sizes_mb{1, 100, 1000};
  std::vector<std::string> backends{"rocksdb", "memory"};
  uint32_t value_bytes = 1000;
  double changed_fraction = 0.01;  ///< hot set: this fraction of the keys
  double update_rate = 5000;       ///< update records/s after the load
  double update_seconds = 6;
  uint32_t interval_ms = 1000;
  /// The memory backend writes its whole state at every checkpoint (about 7 s per GB here), so
  /// larger sizes are opt-in for it.
  double memory_max_mb = 100;
};

struct scaling_row {
  std::string backend;
  double size_mb = 0;
  int steady = 0;
  double changed_mb = 0, duration_ms = 0, new_mb = 0, total_mb = 0;
  double first_ms = 0, first_new_mb = 0;  ///< the checkpoint that holds the load
};

/// Distinct keys updated by the records [from, to).
inline uint64_t changed_keys(const state_job_params& p, uint64_t from, uint64_t to) {
  std::unordered_set<uint64_t> keys;
  for (uint64_t i = std::max(from, p.keys); i < to; ++i)
    keys.insert(key_of_record(i, p));
  return keys.size();
}

inline scaling_row run_scaling(const scaling_options& b, const std::string& backend,
                               double size_mb, const std::string& tmp) {
  state_job_params p;
  p.value_bytes = b.value_bytes;
  p.keys = std::max<uint64_t>(1, static_cast<uint64_t>(size_mb * 1e6 / b.value_bytes));
  p.hot_keys = std::max<uint64_t>(1, static_cast<uint64_t>(p.keys * b.changed_fraction));
  p.rate = b.update_rate;
  p.updates = static_cast<uint64_t>(b.update_rate * b.update_seconds);
  auto expect = reference_rows(p);
  auto dir = tmp + "/scaling-ck";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::vector<checkpoint_stats> all;
  {
    checkpoint_probe probe(dir);
    run_state_job(p, backend, dir, b.interval_ms, expect);
    probe.stop();
    all = probe.results();
  }
  std::filesystem::remove_all(dir, ec);
  scaling_row row;
  row.backend = backend;
  row.size_mb = static_cast<double>(p.keys) * p.value_bytes / 1e6;
  std::vector<double> changed, duration, fresh, total;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& c = all[i];
    if (c.source_next >= p.keys && row.first_ms == 0 && (i == 0 || all[i - 1].source_next < p.keys)) {
      row.first_ms = static_cast<double>(c.duration_ms);
      row.first_new_mb = static_cast<double>(c.new_bytes) / 1e6;
    }
    if (i == 0 || c.final || all[i - 1].source_next < p.keys || all[i - 1].id + 1 != c.id)
      continue;
    changed.push_back(static_cast<double>(changed_keys(p, all[i - 1].source_next, c.source_next) *
                                          p.value_bytes) / 1e6);
    duration.push_back(static_cast<double>(c.duration_ms));
    fresh.push_back(static_cast<double>(c.new_bytes) / 1e6);
    total.push_back(static_cast<double>(c.total_bytes) / 1e6);
  }
  row.steady = static_cast<int>(duration.size());
  row.changed_mb = median(changed);
  row.duration_ms = median(duration);
  row.new_mb = median(fresh);
  row.total_mb = median(total);
  std::printf("  %-8s %8.1f MB: %zu checkpoints, %d steady:", backend.c_str(), row.size_mb,
              all.size(), row.steady);
  for (std::size_t i = 0; i < duration.size(); ++i)
    std::printf(" [%.0f ms, %.2f MB new]", duration[i], fresh[i]);
  std::printf("\n");
  std::fflush(stdout);
  if (row.steady == 0)
    throw std::runtime_error("no checkpoint fell wholly in the update phase at " +
                             std::to_string(size_mb) + " MB (" + backend +
                             "): raise --update-seconds");
  return row;
}

/// Runs part (b); prints the table. Returns false when the RocksDB durations grow with the
/// total state instead of the changed state (the largest size more than 4x the smallest).
inline bool bench_scaling(const scaling_options& b, const std::string& tmp) {
  std::printf(
      "\n(b) checkpoint duration and bytes vs state size: values of %u B, hot set %.1f%% of the "
      "keys updated at %.0f records/s for %.0f s after the load, checkpoints every %u ms, keyed "
      "stage p=1, load %s\n",
      b.value_bytes, b.changed_fraction * 100, b.update_rate, b.update_seconds, b.interval_ms,
      load_average().c_str());
  std::fflush(stdout);
  std::vector<scaling_row> rows;
  for (auto size : b.sizes_mb)
    for (const auto& backend : b.backends)
      if (backend != "memory" || size <= b.memory_max_mb)
        rows.push_back(run_scaling(b, backend, size, tmp));
  std::printf("  %-8s %9s %8s %12s %12s %11s %12s %12s %14s\n", "backend", "state MB", "steady",
              "changed MB", "duration ms", "new MB", "chk total MB", "load ckpt ms",
              "load ckpt new MB");
  for (const auto& r : rows)
    std::printf("  %-8s %9.1f %8d %12.2f %12.0f %11.2f %12.1f %12.0f %14.1f\n", r.backend.c_str(),
                r.size_mb, r.steady, r.changed_mb, r.duration_ms, r.new_mb, r.total_mb, r.first_ms,
                r.first_new_mb);
  bool ok = true;
  const scaling_row* small = nullptr;
  const scaling_row* large = nullptr;
  for (const auto& r : rows)
    if (r.backend == "rocksdb") {
      if (!small || r.size_mb < small->size_mb)
        small = &r;
      if (!large || r.size_mb > large->size_mb)
        large = &r;
    }
  if (small && large && large != small) {
    double growth = large->duration_ms / std::max(1.0, small->duration_ms);
    double state_growth = large->size_mb / small->size_mb;
    ok = growth <= 4;
    std::printf(
        "  target: RocksDB checkpoint duration follows the changed state, not the total: state "
        "x%.0f, duration x%.1f, new bytes x%.1f: %s\n",
        state_growth, growth, large->new_mb / std::max(1e-6, small->new_mb),
        ok ? "met" : "MISSED");
  }
  return ok;
}

}  // namespace sluice::bench
