// The receiving side of a task: one queue per input channel, handed out in round-robin order,
// with alignment of epoch marks: after a channel delivered mark n it is held back until every
// channel still open delivered n too (the same discipline aligned checkpoint barriers use).
// Used by one actor; not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <variant>
#include <vector>

#include "sluice/batch.hpp"

namespace sluice::actors {

class input_gate {
 public:
  struct data {
    uint32_t input;
    batch_ptr batch;
  };
  struct epoch_aligned {
    uint64_t epoch;  ///< every open channel delivered this mark
  };
  struct all_finished {};
  using event = std::variant<data, epoch_aligned, all_finished>;

  explicit input_gate(uint32_t inputs);

  void on_batch(uint32_t input, batch_ptr b);
  void on_epoch(uint32_t input, uint64_t epoch);
  void on_eos(uint32_t input);

  /// The next event to handle, or nullopt when every deliverable queue is empty or held back.
  std::optional<event> next();

  uint32_t inputs() const { return static_cast<uint32_t>(channels_.size()); }
  bool finished() const { return finished_reported_; }

 private:
  struct mark {
    uint64_t epoch;
  };
  struct eos {};
  struct channel {
    std::deque<std::variant<batch_ptr, mark, eos>> queue;
    std::optional<uint64_t> held_at;  // delivered this mark, waiting for the others
    bool ended = false;
  };

  std::optional<event> try_align();

  std::vector<channel> channels_;
  uint32_t cursor_ = 0;
  bool finished_reported_ = false;
};

}  // namespace sluice::actors
