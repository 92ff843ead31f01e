// Console sink: one line per record on stdout. Downstream of an aggregation it prints each
// trigger's rows under a "Batch: N" header, as Spark's console sink does. Lines of one batch are
// written with a single write under a process-wide lock, so subtasks never interleave mid-line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "connectors/format.hpp"
#include "sluice/operator.hpp"
#include "sluice/output_mode.hpp"

namespace sluice {

/// Writes `text` to stdout atomically with respect to other console sinks of the process.
void console_write(const std::string& text);

template <class T, class Formatter = default_formatter>
class console_sink final : public operator_logic {
 public:
  console_sink(std::optional<output_mode> mode, Formatter fmt = {}) : mode_(mode), fmt_(std::move(fmt)) {}

  void process(batch_base& in, emitter&) override {
    buf_.clear();
    if (mode_ && !header_printed_) {
      buf_ += header();
      header_printed_ = true;
    }
    for (const auto& x : as_batch<T>(in).items) {
      fmt_(buf_, x);
      buf_.push_back('\n');
    }
    console_write(buf_);
  }

  void on_epoch_end(uint64_t epoch, emitter&) override {
    epoch_ = epoch;
    header_printed_ = false;
  }

 private:
  std::string header() const {
    return "-------------------------------------------\nBatch: " + std::to_string(epoch_) +
           "\n-------------------------------------------\n";
  }

  std::optional<output_mode> mode_;
  Formatter fmt_;
  std::string buf_;
  uint64_t epoch_ = 0;
  bool header_printed_ = false;
};

}  // namespace sluice
