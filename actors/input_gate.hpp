// The receiving side of a task: one queue per input channel, handed out in round-robin order.
// Checkpoint barriers are aligned (blocking): after a channel delivered barrier n it is held back
// until every channel still open delivered n too, so the snapshot sees exactly the records before
// the barrier on every input. Trigger-epoch marks are aligned without blocking: epoch n ends once
// every open channel passed its mark n. An ended channel counts as aligned for both.
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
    uint64_t epoch;  ///< every open channel passed this mark
  };
  struct barrier_aligned {
    uint64_t checkpoint;  ///< every open channel delivered this barrier
  };
  struct all_finished {};
  using event = std::variant<data, epoch_aligned, barrier_aligned, all_finished>;

  explicit input_gate(uint32_t inputs);

  void on_batch(uint32_t input, batch_ptr b);
  void on_epoch(uint32_t input, uint64_t epoch);
  void on_barrier(uint32_t input, uint64_t checkpoint);
  void on_eos(uint32_t input);

  /// The next event to handle, or nullopt when every deliverable queue is empty or held back.
  std::optional<event> next();

  uint32_t inputs() const { return static_cast<uint32_t>(channels_.size()); }
  bool finished() const { return finished_reported_; }
  /// Channels currently held back by barrier alignment.
  uint32_t held() const;

 private:
  struct epoch_mark {
    uint64_t epoch;
  };
  struct barrier {
    uint64_t checkpoint;
  };
  struct eos {};
  struct channel {
    std::deque<std::variant<batch_ptr, epoch_mark, barrier, eos>> queue;
    std::optional<uint64_t> held_at;  // delivered this barrier, waiting for the others
    uint64_t epoch = 0;               // last epoch mark passed
    bool ended = false;
  };

  std::optional<event> try_align_barrier();
  std::optional<event> try_advance_epoch();

  std::vector<channel> channels_;
  uint32_t cursor_ = 0;
  uint64_t epoch_emitted_ = 0;
  bool finished_reported_ = false;
};

}  // namespace sluice::actors
