#include "checkpoints/checkpoint_coordinator.hpp"

namespace sluice::checkpoints {

checkpoint_coordinator::checkpoint_coordinator(checkpoint_storage storage, std::string job,
                                               uint32_t max_parallelism, std::size_t tasks,
                                               uint64_t next_id, coordinator_options opts)
    : storage_(std::move(storage)),
      job_(std::move(job)),
      max_parallelism_(max_parallelism),
      tasks_(tasks),
      next_id_(next_id),
      opts_(opts) {}

std::optional<uint64_t> checkpoint_coordinator::trigger(bool final) {
  if (pending_)
    return std::nullopt;
  pending_.emplace(next_id_++, tasks_, final, clock::now());
  return pending_->id();
}

ack_result checkpoint_coordinator::acknowledge(uint64_t id, uint32_t task, task_ack ack) {
  if (pending_ && pending_->id() == id)
    return pending_->acknowledge(task, std::move(ack));
  return id < next_id_ ? ack_result::discarded : ack_result::unknown;
}

std::optional<checkpoint_failure> checkpoint_coordinator::decline(uint64_t id,
                                                                 const std::string& reason) {
  if (!pending_ || pending_->id() != id)
    return std::nullopt;
  storage_.discard(id);
  pending_.reset();
  ++failed_;
  return checkpoint_failure{id, "declined: " + reason};
}

std::optional<checkpoint_failure> checkpoint_coordinator::expire() {
  if (!pending_ || pending_->final())
    return std::nullopt;  // the final checkpoint waits for the job to drain, however long
  if (clock::now() - pending_->started() < std::chrono::milliseconds(opts_.timeout_ms))
    return std::nullopt;
  auto id = pending_->id();
  storage_.discard(id);
  pending_.reset();
  ++failed_;
  return checkpoint_failure{id, "timed out after " + std::to_string(opts_.timeout_ms) + " ms"};
}

std::optional<manifest> checkpoint_coordinator::try_complete() {
  if (!pending_ || !pending_->fully_acknowledged())
    return std::nullopt;
  auto m = pending_->to_manifest(job_, max_parallelism_);
  pending_.reset();
  try {
    storage_.complete(m);
  } catch (...) {
    storage_.discard(m.id);
    ++failed_;
    throw;
  }
  storage_.retain(opts_.retained);
  ++completed_;
  last_ = m;
  return m;
}

}  // namespace sluice::checkpoints
