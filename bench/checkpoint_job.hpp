// The stateful job of bench_checkpoint: a source that first loads `keys` keys (one record each),
// then updates keys drawn from the first `hot_keys` of them, at `rate` records/s; a keyed
// `process` stage that keeps one value of `value_bytes` per key in a value_state (an update
// counter followed by pseudo-random, incompressible padding) and emits (record index, counter)
// for each update. Everything is deterministic from the record index, so a reference loop can
// compute what a correct run emits, and a restored run must continue the counters exactly.
// Header-only; used in-process (parts a and b) and by the child job of part c.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include "sluice/sluice.hpp"

namespace sluice::bench {

/// What the job does; every field states its default.
struct state_job_params {
  uint64_t keys = 100'000;       ///< keys loaded first (record i < keys loads key i)
  uint64_t updates = 0;          ///< update records after the load; sluice::unbounded: until stopped
  uint64_t hot_keys = 1'000;     ///< updates go to keys [0, hot_keys)
  double rate = 0;               ///< update records/s; 0: full speed (the load is always full speed)
  uint32_t value_bytes = 1000;   ///< bytes of each key's value
  uint32_t parallelism = 1;      ///< of the keyed stage (the source always has 1: per-key order)
};

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// The key of record `i`.
inline uint64_t key_of_record(uint64_t i, const state_job_params& p) {
  return i < p.keys ? i : splitmix64(i) % p.hot_keys;
}

/// A key's value: the counter, then padding derived from key and counter (incompressible, so the
/// state on disk is as large as it says).
inline std::string make_value(uint64_t key, uint64_t counter, uint32_t bytes) {
  std::string v(std::max<uint32_t>(bytes, 8), '\0');
  std::memcpy(v.data(), &counter, 8);
  uint64_t x = key * 0x100000001B3ull + counter;
  for (std::size_t at = 8; at < v.size(); at += 8) {
    x = splitmix64(x);
    std::memcpy(v.data() + at, &x, std::min<std::size_t>(8, v.size() - at));
  }
  return v;
}

inline uint64_t counter_of(const std::string& v) {
  uint64_t c = 0;
  if (v.size() >= 8)
    std::memcpy(&c, v.data(), 8);
  return c;
}

/// Load, then paced updates. Parallelism 1. Its position (the next record index) is checkpointed
/// and shown in the manifest as {"next": N}.
class keyed_update_source final : public source_reader {
 public:
  explicit keyed_update_source(state_job_params p) : p_(p), end_(end_of(p)) {}

  void open(const task_context& ctx) override {
    if (ctx.parallelism != 1)
      throw std::runtime_error("the bench's source runs with parallelism 1");
  }
  void snapshot_state(operator_snapshot& snap) override {
    snap.set_operator_state(std::to_string(next_));
    snap.description = "{\"next\": " + std::to_string(next_) + "}";
  }
  void restore_state(const operator_restore& r) override {
    if (!r.operator_state)
      throw std::runtime_error("the checkpoint has no position for the bench's source");
    next_ = std::stoull(*r.operator_state);
  }
  poll_status poll(emitter& out, uint32_t max_records) override {
    if (stop_requested_ || next_ >= end_)
      return poll_status::finished;
    uint64_t budget = max_records;
    if (next_ >= p_.keys && p_.rate > 0) {
      auto now = std::chrono::steady_clock::now();
      if (!updates_started_) {
        updates_started_ = true;
        updates_t0_ = now;
      }
      double secs = std::chrono::duration<double>(now - updates_t0_).count();
      auto allowed = static_cast<uint64_t>(secs * p_.rate) + 1;
      if (allowed <= updates_emitted_)
        return poll_status::idle;
      budget = std::min(budget, allowed - updates_emitted_);
    }
    auto b = std::make_shared<batch<std::pair<uint64_t, uint64_t>>>();
    b->items.reserve(static_cast<std::size_t>(budget));
    for (; budget > 0 && next_ < end_; --budget, ++next_) {
      b->items.emplace_back(key_of_record(next_, p_), next_);
      if (next_ >= p_.keys)
        ++updates_emitted_;
    }
    out.emit(std::move(b));
    return next_ >= end_ ? poll_status::finished : poll_status::more;
  }

  static uint64_t end_of(const state_job_params& p) {
    return p.updates == unbounded ? unbounded : p.keys + p.updates;
  }

 private:
  state_job_params p_;
  uint64_t end_;
  uint64_t next_ = 0;
  bool updates_started_ = false;
  uint64_t updates_emitted_ = 0;
  std::chrono::steady_clock::time_point updates_t0_;
};

/// The keyed stage: (key, index) in, (index, counter) out for every update record.
struct keyed_update_fn {
  state_job_params p;
  /// Set by the child job: prints "bench-job: first record" on stderr at the first record (after
  /// a restore, that is when the restored state is in place).
  std::shared_ptr<std::atomic<bool>> announce;

  void operator()(const std::pair<uint64_t, uint64_t>& r,
                  keyed_context<uint64_t, std::pair<uint64_t, uint64_t>>& ctx) const {
    if (announce && announce->exchange(false))
      std::fprintf(stderr, "bench-job: first record\n");
    auto& st = ctx.value_state<std::string>("value");
    if (r.second < p.keys) {  // the load: a fresh key
      st.update(make_value(r.first, 0, p.value_bytes));
      return;
    }
    auto cur = st.value();
    uint64_t counter = (cur ? counter_of(*cur) : 0) + 1;
    st.update(make_value(r.first, counter, p.value_bytes));
    ctx.emit({r.second, counter});
  }
};

/// source → key_by → process; returns the stream of (index, counter) rows.
inline stream<std::pair<uint64_t, uint64_t>> build_state_job(environment& env,
                                                             const state_job_params& p,
                                                             keyed_update_fn fn) {
  auto src = env.from_source<std::pair<uint64_t, uint64_t>>(
      [p](const task_context&) -> source_ptr { return std::make_unique<keyed_update_source>(p); },
      "updates");
  src.uid("updates").parallelism(1);
  auto rows = src.key_by([](const std::pair<uint64_t, uint64_t>& r) { return r.first; })
                  .template process<std::pair<uint64_t, uint64_t>>(fn, "state");
  rows.parallelism(p.parallelism);
  return rows;
}

/// What a correct run emits for the update records [keys, keys + updates): their number and the
/// sum of the counters (each key's counter counts its updates).
struct expected_rows {
  uint64_t rows = 0;
  uint64_t counter_sum = 0;
};

inline expected_rows reference_rows(const state_job_params& p) {
  expected_rows e;
  std::unordered_map<uint64_t, uint64_t> n;
  for (uint64_t i = p.keys; i < p.keys + p.updates; ++i) {
    e.counter_sum += ++n[key_of_record(i, p)];
    ++e.rows;
  }
  return e;
}

}  // namespace sluice::bench
