// A router splits a task's output into per-target batches of at most batch_size records: forward
// (one target), rebalance (whole batches round-robin), hash (by key group of a key) or broadcast.
// One instance per sending task; not thread-safe (used by its actor only).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "sluice/batch.hpp"
#include "sluice/keys.hpp"

namespace sluice {

enum class partitioning {
  forward,    ///< same subtask index downstream (chained when parallelism matches)
  rebalance,  ///< whole batches round-robin over the downstream subtasks
  hash,       ///< by key group of the record's key
  broadcast,  ///< every record to every downstream subtask
};

const char* to_string(partitioning p);

class router {
 public:
  virtual ~router() = default;
  /// Distributes the records of `in` (moved out) into per-target buffers.
  virtual void route(batch_base& in) = 0;
  /// A full batch for `target`, or nullptr.
  virtual batch_ptr take_full(uint32_t target) = 0;
  /// Whatever is buffered for `target` (full or partial), or nullptr.
  virtual batch_ptr take_any(uint32_t target) = 0;
  /// Records buffered for `target`.
  virtual std::size_t buffered(uint32_t target) const = 0;
  virtual uint32_t targets() const = 0;
};

using router_ptr = std::unique_ptr<router>;
/// Makes a router for (targets, max_parallelism, batch_size).
using router_factory = std::function<router_ptr(uint32_t, uint32_t, uint32_t)>;

/// Typed router; `Select` maps (record, targets, max_parallelism) to a target index.
template <class T>
class typed_router : public router {
 public:
  using selector = std::function<uint32_t(const T&)>;

  typed_router(partitioning p, uint32_t targets, uint32_t batch_size, selector sel)
      : mode_(p), limit_(batch_size ? batch_size : 1), sel_(std::move(sel)), bufs_(targets) {}

  void route(batch_base& in) override {
    auto& xs = as_batch<T>(in).items;
    switch (mode_) {
      case partitioning::forward:
        append_all(0, xs);
        break;
      case partitioning::rebalance:
        append_all(next_++ % targets(), xs);
        break;
      case partitioning::broadcast:
        for (uint32_t t = 0; t < targets(); ++t)
          for (const auto& x : xs)
            push(t, T(x));
        break;
      case partitioning::hash:
        for (auto& x : xs) {
          auto t = sel_(x);
          push(t, std::move(x));
        }
        break;
    }
    xs.clear();
  }

  batch_ptr take_full(uint32_t t) override {
    auto& b = bufs_[t];
    if (b.full.empty())
      return nullptr;
    batch_ptr r = std::move(b.full.front());
    b.full.pop_front();
    b.count -= r->size();
    return r;
  }

  batch_ptr take_any(uint32_t t) override {
    if (auto r = take_full(t))
      return r;
    auto& b = bufs_[t];
    if (!b.cur || b.cur->items.empty())
      return nullptr;
    b.count -= b.cur->items.size();
    return std::move(b.cur);
  }

  std::size_t buffered(uint32_t t) const override { return bufs_[t].count; }
  uint32_t targets() const override { return static_cast<uint32_t>(bufs_.size()); }

 private:
  struct target_buffer {
    std::shared_ptr<batch<T>> cur;
    std::deque<std::shared_ptr<batch<T>>> full;
    std::size_t count = 0;
  };

  void push(uint32_t t, T&& x) {
    auto& b = bufs_[t];
    if (!b.cur) {
      b.cur = std::make_shared<batch<T>>();
      b.cur->items.reserve(limit_);
    }
    b.cur->items.push_back(std::move(x));
    ++b.count;
    if (b.cur->items.size() >= limit_)
      b.full.push_back(std::move(b.cur));
  }

  void append_all(uint32_t t, std::vector<T>& xs) {
    auto& b = bufs_[t];
    // Fast path: a whole batch of the right size moves without copying records.
    if ((!b.cur || b.cur->items.empty()) && xs.size() == limit_) {
      b.full.push_back(std::make_shared<batch<T>>(std::move(xs)));
      b.count += limit_;
      xs = {};
      return;
    }
    for (auto& x : xs)
      push(t, std::move(x));
  }

  partitioning mode_;
  uint32_t limit_;
  selector sel_;
  std::vector<target_buffer> bufs_;
  uint64_t next_ = 0;
};

/// Router factory for a non-keyed partitioning of records of type T.
template <class T>
router_factory make_router_factory(partitioning p) {
  return [p](uint32_t targets, uint32_t, uint32_t batch_size) -> router_ptr {
    return std::make_unique<typed_router<T>>(p, targets, batch_size, nullptr);
  };
}

/// Router factory that routes records of type T by the key group of `key_of(record)`.
template <class T, class KeySelector>
router_factory make_hash_router_factory(KeySelector key_of) {
  return [key_of](uint32_t targets, uint32_t max_par, uint32_t batch_size) -> router_ptr {
    auto sel = [key_of, targets, max_par](const T& x) {
      return subtask_of_key(key_of(x), max_par, targets);
    };
    return std::make_unique<typed_router<T>>(partitioning::hash, targets, batch_size, sel);
  };
}

}  // namespace sluice
