// Deterministic generator source: record i is f(i) for i in [0, count). Subtask s of p produces
// the indices s, s+p, s+2p, ... so the set of records never depends on timing. Runs at full speed
// or at a total rate of `rate` records/s shared by the subtasks. count == unbounded runs until the
// job is stopped.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

#include "sluice/operator.hpp"

namespace sluice {

inline constexpr uint64_t unbounded = std::numeric_limits<uint64_t>::max();

template <class T, class F>
class generator_source final : public source_reader {
 public:
  generator_source(uint64_t count, F f, double rate) : count_(count), f_(std::move(f)), rate_(rate) {}

  void open(const task_context& ctx) override {
    next_ = ctx.subtask;
    step_ = ctx.parallelism;
    per_subtask_rate_ = rate_ > 0 ? rate_ / ctx.parallelism : 0;
    start_ = std::chrono::steady_clock::now();
  }

  void snapshot_state(operator_snapshot& snap) override {
    auto text = "{\"next\": " + std::to_string(next_) + ", \"emitted\": " + std::to_string(emitted_) + "}";
    snap.set_operator_state(std::to_string(next_) + " " + std::to_string(emitted_));
    snap.description = text;
  }
  void restore_state(const operator_restore& r) override {
    if (!r.operator_state)
      throw std::runtime_error("the checkpoint has no position for this generator subtask");
    std::istringstream in(*r.operator_state);
    uint64_t emitted_before = 0;
    if (!(in >> next_ >> emitted_before))
      throw std::runtime_error("the generator's checkpointed position is malformed");
    // emitted_ paces the rate of this run: it starts from zero again.
  }

  poll_status poll(emitter& out, uint32_t max_records) override {
    if (stop_requested_ || next_ >= count_)
      return poll_status::finished;
    uint64_t budget = max_records;
    if (per_subtask_rate_ > 0) {
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      auto allowed = static_cast<uint64_t>(secs * per_subtask_rate_) + 1;
      if (allowed <= emitted_)
        return poll_status::idle;
      budget = std::min<uint64_t>(budget, allowed - emitted_);
    }
    auto b = std::make_shared<batch<T>>();
    b->items.reserve(static_cast<std::size_t>(budget));
    for (uint64_t n = 0; n < budget && next_ < count_; ++n) {
      b->items.push_back(f_(next_));
      next_ = count_ - next_ <= step_ ? count_ : next_ + step_;
    }
    emitted_ += b->items.size();
    out.emit(std::move(b));
    return next_ >= count_ ? poll_status::finished : poll_status::more;
  }

 private:
  uint64_t count_;
  F f_;
  double rate_;
  double per_subtask_rate_ = 0;
  uint64_t next_ = 0;
  uint64_t step_ = 1;
  uint64_t emitted_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace sluice
