#include "actors/input_gate.hpp"

#include <algorithm>
#include <limits>

namespace sluice::actors {

input_gate::input_gate(uint32_t inputs) : channels_(inputs) {}

void input_gate::on_batch(uint32_t input, batch_ptr b) {
  channels_.at(input).queue.emplace_back(std::move(b));
}

void input_gate::on_epoch(uint32_t input, uint64_t epoch) {
  channels_.at(input).queue.emplace_back(epoch_mark{epoch});
}

void input_gate::on_barrier(uint32_t input, uint64_t checkpoint) {
  channels_.at(input).queue.emplace_back(barrier{checkpoint});
}

void input_gate::on_eos(uint32_t input) { channels_.at(input).queue.emplace_back(eos{}); }

uint32_t input_gate::held() const {
  return static_cast<uint32_t>(
      std::count_if(channels_.begin(), channels_.end(), [](const channel& c) { return c.held_at.has_value(); }));
}

std::optional<input_gate::event> input_gate::try_align_barrier() {
  std::optional<uint64_t> id;
  for (const auto& ch : channels_) {
    if (ch.ended)
      continue;
    if (!ch.held_at)
      return std::nullopt;
    id = id ? std::min(*id, *ch.held_at) : *ch.held_at;
  }
  if (!id)
    return std::nullopt;
  for (auto& ch : channels_)
    if (ch.held_at && *ch.held_at == *id)
      ch.held_at.reset();
  return barrier_aligned{*id};
}

std::optional<input_gate::event> input_gate::try_advance_epoch() {
  uint64_t low = std::numeric_limits<uint64_t>::max();
  bool any_open = false;
  for (const auto& ch : channels_)
    if (!ch.ended) {
      any_open = true;
      low = std::min(low, ch.epoch);
    }
  if (!any_open)
    return std::nullopt;  // at the end, the operators' finish() closes the last epoch
  if (low > epoch_emitted_) {
    ++epoch_emitted_;
    return epoch_aligned{epoch_emitted_};
  }
  return std::nullopt;
}

std::optional<input_gate::event> input_gate::next() {
  if (auto e = try_advance_epoch())
    return e;
  auto n = inputs();
  for (uint32_t step = 0; step < n; ++step) {
    auto i = (cursor_ + step) % n;
    auto& ch = channels_[i];
    if (ch.held_at || ch.ended || ch.queue.empty())
      continue;
    auto item = std::move(ch.queue.front());
    ch.queue.pop_front();
    cursor_ = (i + 1) % n;
    if (auto* b = std::get_if<batch_ptr>(&item))
      return data{i, std::move(*b)};
    if (auto* m = std::get_if<epoch_mark>(&item)) {
      ch.epoch = std::max(ch.epoch, m->epoch);
    } else if (auto* bar = std::get_if<barrier>(&item)) {
      ch.held_at = bar->checkpoint;
    } else {
      ch.ended = true;
    }
    if (auto aligned = try_align_barrier())
      return aligned;
    return next();
  }
  if (!finished_reported_ &&
      std::all_of(channels_.begin(), channels_.end(), [](const channel& c) { return c.ended; })) {
    finished_reported_ = true;
    return all_finished{};
  }
  return std::nullopt;
}

}  // namespace sluice::actors
