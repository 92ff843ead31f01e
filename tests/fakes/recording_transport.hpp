// A fake sluice::actors::transport that records every call in order — batches, epoch marks,
// checkpoint barriers, end-of-stream, credits, and checkpoint acknowledgements — so tests can
// drive an output_gate or a task_runner without an actor system and then ask what went out on
// which channel. Not thread-safe (neither is anything it is handed to). Batches are kept by
// pointer: a test may inspect them after the call, as a receiver would.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "actors/transport.hpp"
#include "sluice/batch.hpp"

namespace sluice::test {

class recording_transport final : public actors::transport {
 public:
  struct sent_batch {
    uint32_t output;
    batch_ptr batch;
  };
  struct sent_epoch {
    uint32_t output;
    uint64_t epoch;
  };
  struct sent_eos {
    uint32_t output;
  };
  struct granted_credit {
    uint32_t input;
    uint32_t n;
  };
  struct sent_barrier {
    uint32_t output;
    uint64_t id;
  };
  struct acknowledged {
    uint64_t id;
    checkpoints::task_ack ack;
  };
  struct declined {
    uint64_t id;
    std::string reason;
  };
  using event = std::variant<sent_batch, sent_epoch, sent_eos, granted_credit, sent_barrier,
                             acknowledged, declined>;

  void send_batch(uint32_t output, batch_ptr b) override {
    events_.push_back(sent_batch{output, std::move(b)});
  }
  void send_epoch(uint32_t output, uint64_t epoch) override {
    events_.push_back(sent_epoch{output, epoch});
  }
  void send_eos(uint32_t output) override { events_.push_back(sent_eos{output}); }
  void grant_credit(uint32_t input, uint32_t n) override {
    events_.push_back(granted_credit{input, n});
  }
  void send_barrier(uint32_t output, uint64_t id) override {
    events_.push_back(sent_barrier{output, id});
  }
  void acknowledge(uint64_t id, checkpoints::task_ack ack) override {
    events_.push_back(acknowledged{id, std::move(ack)});
  }
  void decline(uint64_t id, std::string reason) override {
    events_.push_back(declined{id, std::move(reason)});
  }

  /// Every call so far, in call order.
  const std::vector<event>& events() const { return events_; }
  void clear() { events_.clear(); }

  /// Batches sent on `output`, in order.
  std::vector<batch_ptr> batches(uint32_t output) const {
    std::vector<batch_ptr> out;
    for (const auto& e : events_)
      if (const auto* b = std::get_if<sent_batch>(&e); b && b->output == output)
        out.push_back(b->batch);
    return out;
  }

  /// Number of batches sent on any output.
  std::size_t batch_count() const {
    std::size_t n = 0;
    for (const auto& e : events_)
      n += std::holds_alternative<sent_batch>(e) ? 1 : 0;
    return n;
  }

  /// The records of type T sent on `output`, concatenated in order.
  template <class T>
  std::vector<T> records(uint32_t output) const {
    std::vector<T> out;
    for (const auto& b : batches(output)) {
      const auto& xs = as_batch<T>(*b).items;
      out.insert(out.end(), xs.begin(), xs.end());
    }
    return out;
  }

  /// What went out on `output`, in order, readably: "batch(4)", "epoch(1)", "barrier(2)", "eos".
  std::vector<std::string> trace(uint32_t output) const {
    std::vector<std::string> out;
    for (const auto& e : events_) {
      if (const auto* b = std::get_if<sent_batch>(&e); b && b->output == output)
        out.push_back("batch(" + std::to_string(b->batch->size()) + ")");
      else if (const auto* m = std::get_if<sent_epoch>(&e); m && m->output == output)
        out.push_back("epoch(" + std::to_string(m->epoch) + ")");
      else if (const auto* s = std::get_if<sent_eos>(&e); s && s->output == output)
        out.push_back("eos");
      else if (const auto* r = std::get_if<sent_barrier>(&e); r && r->output == output)
        out.push_back("barrier(" + std::to_string(r->id) + ")");
    }
    return out;
  }

  /// Credits granted so far to the sender of input channel `input`.
  uint64_t credits_granted(uint32_t input) const {
    uint64_t n = 0;
    for (const auto& e : events_)
      if (const auto* c = std::get_if<granted_credit>(&e); c && c->input == input)
        n += c->n;
    return n;
  }

  /// End-of-stream marks sent on `output`.
  std::size_t eos_count(uint32_t output) const {
    std::size_t n = 0;
    for (const auto& e : events_)
      if (const auto* s = std::get_if<sent_eos>(&e); s && s->output == output)
        ++n;
    return n;
  }

 private:
  std::vector<event> events_;
};

}  // namespace sluice::test
