// How a task talks to its neighbours and to the job coordinator. The actor shell implements it
// with CAF messages; tests use a recording fake. Calls never block.
#pragma once

#include <cstdint>
#include <string>

#include "checkpoints/ack.hpp"
#include "sluice/batch.hpp"

namespace sluice::actors {

class transport {
 public:
  virtual ~transport() = default;
  /// Sends a batch on output channel `output`.
  virtual void send_batch(uint32_t output, batch_ptr b) = 0;
  /// Sends the end-of-epoch mark `epoch` on output channel `output`.
  virtual void send_epoch(uint32_t output, uint64_t epoch) = 0;
  /// Sends checkpoint barrier `id` on output channel `output`.
  virtual void send_barrier(uint32_t output, uint64_t id) = 0;
  /// Sends end-of-stream on output channel `output`.
  virtual void send_eos(uint32_t output) = 0;
  /// Grants `n` more batch credits to the sender of input channel `input`.
  virtual void grant_credit(uint32_t input, uint32_t n) = 0;
  /// Tells the coordinator this task took its part of checkpoint `id`.
  virtual void acknowledge(uint64_t id, checkpoints::task_ack ack) = 0;
  /// Tells the coordinator this task could not take its part of checkpoint `id`.
  virtual void decline(uint64_t id, std::string reason) = 0;
};

}  // namespace sluice::actors
