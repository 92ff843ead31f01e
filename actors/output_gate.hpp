// The sending side of a task: splits output into per-channel batches (a router), queues them with
// epoch marks in order, and sends a batch only against a credit granted by the receiver, so at
// most `credits` batches per channel are in flight. Used by one actor; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <variant>
#include <vector>

#include "actors/transport.hpp"
#include "sluice/router.hpp"

namespace sluice::actors {

class output_gate {
 public:
  using clock = std::chrono::steady_clock;

  /// `r` may be null for a task without outputs (the chain ends in a sink).
  output_gate(router_ptr r, transport& t, uint32_t batch_size);

  /// Routes a batch of the task's output type.
  void push(batch_base& b);
  /// Queues epoch mark `epoch` behind everything pushed so far, on every channel.
  void push_epoch(uint64_t epoch);
  /// Queues checkpoint barrier `id` behind everything pushed so far, on every channel.
  void push_barrier(uint64_t id);
  /// Queues partial batches of channels that have nothing else waiting (linger expired).
  void flush_partial();
  /// Queues everything buffered (end of input).
  void flush_all();
  /// Receiver granted `n` credits on channel `output`.
  void add_credit(uint32_t output, uint32_t n);
  /// Sends what credits allow.
  void pump();

  /// True while a channel has batches waiting for credit: the task should stop consuming input.
  bool blocked() const;
  /// True when nothing is buffered or queued.
  bool empty() const;
  uint32_t outputs() const { return static_cast<uint32_t>(channels_.size()); }

  uint64_t records_out() const { return records_out_; }
  uint64_t batches_out() const { return batches_out_; }
  uint64_t max_in_flight_records() const { return max_in_flight_records_; }
  uint64_t max_in_flight_batches() const { return max_in_flight_batches_; }
  uint64_t backpressure_ns() const;

 private:
  struct mark {
    bool barrier;     // checkpoint barrier, else trigger-epoch mark
    uint64_t value;
  };
  struct channel {
    std::deque<std::variant<batch_ptr, mark>> queue;
    uint32_t queued_batches = 0;
    uint32_t credits = 0;
    std::deque<uint32_t> in_flight;  // sizes of sent, not yet credited batches
    uint64_t in_flight_records = 0;
  };

  void enqueue_full(uint32_t o);
  void push_mark(mark m);
  void update_blocked_clock();

  router_ptr router_;
  transport& transport_;
  uint32_t batch_size_;
  std::vector<channel> channels_;
  uint64_t records_out_ = 0;
  uint64_t batches_out_ = 0;
  uint64_t max_in_flight_records_ = 0;
  uint64_t max_in_flight_batches_ = 0;
  bool was_blocked_ = false;
  clock::time_point blocked_since_{};
  std::chrono::nanoseconds blocked_total_{0};
};

}  // namespace sluice::actors
