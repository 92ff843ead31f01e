#include "actors/output_gate.hpp"

#include <algorithm>

namespace sluice::actors {

output_gate::output_gate(router_ptr r, transport& t, uint32_t batch_size)
    : router_(std::move(r)), transport_(t), batch_size_(batch_size) {
  if (router_)
    channels_.resize(router_->targets());
}

void output_gate::enqueue_full(uint32_t o) {
  auto& ch = channels_[o];
  while (auto b = router_->take_full(o)) {
    ch.queue.emplace_back(std::move(b));
    ++ch.queued_batches;
  }
}

void output_gate::push(batch_base& b) {
  if (!router_ || b.size() == 0)
    return;
  router_->route(b);
  for (uint32_t o = 0; o < outputs(); ++o)
    enqueue_full(o);
  pump();
}

void output_gate::push_mark(mark m) {
  flush_all();
  for (auto& ch : channels_)
    ch.queue.emplace_back(m);
  pump();
}

void output_gate::push_epoch(uint64_t epoch) { push_mark(mark{false, epoch}); }

void output_gate::push_barrier(uint64_t id) { push_mark(mark{true, id}); }

void output_gate::flush_partial() {
  for (uint32_t o = 0; o < outputs(); ++o) {
    auto& ch = channels_[o];
    if (ch.queued_batches == 0 && ch.credits > 0)
      if (auto b = router_->take_any(o)) {
        ch.queue.emplace_back(std::move(b));
        ++ch.queued_batches;
      }
  }
  pump();
}

void output_gate::flush_all() {
  for (uint32_t o = 0; o < outputs(); ++o) {
    auto& ch = channels_[o];
    while (auto b = router_->take_any(o)) {
      ch.queue.emplace_back(std::move(b));
      ++ch.queued_batches;
    }
  }
}

void output_gate::add_credit(uint32_t output, uint32_t n) {
  auto& ch = channels_.at(output);
  ch.credits += n;
  for (uint32_t i = 0; i < n && !ch.in_flight.empty(); ++i) {
    ch.in_flight_records -= ch.in_flight.front();
    ch.in_flight.pop_front();
  }
  pump();
}

void output_gate::pump() {
  for (uint32_t o = 0; o < outputs(); ++o) {
    auto& ch = channels_[o];
    while (!ch.queue.empty()) {
      auto& front = ch.queue.front();
      if (auto* m = std::get_if<mark>(&front)) {
        if (m->barrier)
          transport_.send_barrier(o, m->value);
        else
          transport_.send_epoch(o, m->value);
      } else {
        if (ch.credits == 0)
          break;
        auto b = std::move(std::get<batch_ptr>(front));
        auto n = static_cast<uint32_t>(b->size());
        --ch.credits;
        --ch.queued_batches;
        ch.in_flight.push_back(n);
        ch.in_flight_records += n;
        max_in_flight_records_ = std::max(max_in_flight_records_, ch.in_flight_records);
        max_in_flight_batches_ =
            std::max<uint64_t>(max_in_flight_batches_, ch.in_flight.size());
        records_out_ += n;
        ++batches_out_;
        transport_.send_batch(o, std::move(b));
      }
      ch.queue.pop_front();
    }
  }
  update_blocked_clock();
}

bool output_gate::blocked() const {
  return std::any_of(channels_.begin(), channels_.end(),
                     [](const channel& ch) { return ch.queued_batches > 0 && ch.credits == 0; });
}

bool output_gate::empty() const {
  for (uint32_t o = 0; o < outputs(); ++o)
    if (!channels_[o].queue.empty() || router_->buffered(o) > 0)
      return false;
  return true;
}

void output_gate::update_blocked_clock() {
  bool now_blocked = blocked();
  if (now_blocked == was_blocked_)
    return;
  auto now = clock::now();
  if (now_blocked)
    blocked_since_ = now;
  else
    blocked_total_ += now - blocked_since_;
  was_blocked_ = now_blocked;
}

uint64_t output_gate::backpressure_ns() const {
  auto total = blocked_total_;
  if (was_blocked_)
    total += clock::now() - blocked_since_;
  return static_cast<uint64_t>(total.count());
}

}  // namespace sluice::actors
