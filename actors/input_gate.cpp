#include "actors/input_gate.hpp"

#include <algorithm>

namespace sluice::actors {

input_gate::input_gate(uint32_t inputs) : channels_(inputs) {}

void input_gate::on_batch(uint32_t input, batch_ptr b) {
  channels_.at(input).queue.emplace_back(std::move(b));
}

void input_gate::on_epoch(uint32_t input, uint64_t epoch) {
  channels_.at(input).queue.emplace_back(mark{epoch});
}

void input_gate::on_eos(uint32_t input) { channels_.at(input).queue.emplace_back(eos{}); }

std::optional<input_gate::event> input_gate::try_align() {
  std::optional<uint64_t> epoch;
  for (const auto& ch : channels_) {
    if (ch.ended)
      continue;
    if (!ch.held_at)
      return std::nullopt;
    epoch = epoch ? std::min(*epoch, *ch.held_at) : *ch.held_at;
  }
  if (!epoch)
    return std::nullopt;
  for (auto& ch : channels_)
    if (ch.held_at && *ch.held_at == *epoch)
      ch.held_at.reset();
  return epoch_aligned{*epoch};
}

std::optional<input_gate::event> input_gate::next() {
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
    if (auto* m = std::get_if<mark>(&item))
      ch.held_at = m->epoch;
    else
      ch.ended = true;
    if (auto aligned = try_align())
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
