// Collect sink, for tests and small local jobs: every record lands in a shared in-memory vector,
// with the trigger epochs that ended. Thread-safe (a mutex); works only when the whole job runs
// in one process, so production jobs use file, console or Kafka sinks instead.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "sluice/operator.hpp"

namespace sluice {

template <class T>
class collected {
 public:
  std::vector<T> records() const {
    std::lock_guard<std::mutex> g{m_};
    return records_;
  }
  /// Number of (subtask) epoch marks seen.
  std::size_t epochs() const {
    std::lock_guard<std::mutex> g{m_};
    return epochs_;
  }
  void add(const std::vector<T>& xs) {
    std::lock_guard<std::mutex> g{m_};
    records_.insert(records_.end(), xs.begin(), xs.end());
  }
  void add_epoch() {
    std::lock_guard<std::mutex> g{m_};
    ++epochs_;
  }

 private:
  mutable std::mutex m_;
  std::vector<T> records_;
  std::size_t epochs_ = 0;
};

template <class T>
class collect_sink final : public operator_logic {
 public:
  explicit collect_sink(std::shared_ptr<collected<T>> into) : into_(std::move(into)) {}
  void process(batch_base& in, emitter&) override { into_->add(as_batch<T>(in).items); }
  void on_epoch_end(uint64_t, emitter&) override { into_->add_epoch(); }

 private:
  std::shared_ptr<collected<T>> into_;
};

}  // namespace sluice
