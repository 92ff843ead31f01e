// File sink: writes lines into part files of an output directory. Each subtask writes a hidden
// in-progress file (".part-S-N.inprogress") and makes it visible by an atomic rename, so a reader
// of the directory never sees a partial file. A part file is committed at every trigger epoch, at
// the end of input, every `rollover_ms`, and when it passes `max_part_bytes`. Downstream of a
// complete-mode aggregation each epoch's result atomically replaces "part-S" instead, so the
// directory always holds exactly the latest full result. Exactly-once across crashes comes with
// the two-phase-commit protocol of checkpoints.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "connectors/format.hpp"
#include "sluice/operator.hpp"
#include "sluice/output_mode.hpp"

namespace sluice {

struct file_sink_options {
  std::string dir;                         ///< output directory; created if missing
  uint64_t max_part_bytes = 128ull << 20;  ///< roll a part file past this size
  uint32_t rollover_ms = 1000;             ///< commit a non-empty part at least this often
};

/// The part files of one sink subtask. Not thread-safe.
class part_file_writer {
 public:
  /// `replace`: each commit replaces "part-S" (complete mode) instead of adding "part-S-N".
  part_file_writer(file_sink_options opts, uint32_t subtask, bool replace);
  ~part_file_writer();
  /// Creates the directory and picks the next sequence number; throws std::runtime_error.
  void open();
  void append(const std::string& text);
  /// Makes what was appended visible (fsync, rename). With `replace`, an empty result still
  /// replaces the previous one.
  void commit();
  bool has_data() const { return bytes_ > 0; }
  uint64_t bytes() const { return bytes_; }

 private:
  void open_part();
  void close_fd();

  file_sink_options opts_;
  uint32_t subtask_;
  bool replace_;
  int fd_ = -1;
  uint64_t seq_ = 0;
  uint64_t bytes_ = 0;
  std::string tmp_path_;
};

template <class T, class Formatter = default_formatter>
class file_sink final : public operator_logic {
 public:
  file_sink(file_sink_options opts, std::optional<output_mode> mode, Formatter fmt = {})
      : opts_(std::move(opts)), mode_(mode), fmt_(std::move(fmt)) {}

  void open(const task_context& ctx) override {
    writer_.emplace(opts_, ctx.subtask, mode_ == output_mode::complete);
    writer_->open();
  }
  void process(batch_base& in, emitter&) override {
    buf_.clear();
    for (const auto& x : as_batch<T>(in).items) {
      fmt_(buf_, x);
      buf_.push_back('\n');
    }
    writer_->append(buf_);
    if (mode_ != output_mode::complete && writer_->bytes() >= opts_.max_part_bytes)
      writer_->commit();
  }
  std::chrono::milliseconds timer_period() const override {
    return mode_ ? std::chrono::milliseconds{0} : std::chrono::milliseconds{opts_.rollover_ms};
  }
  void on_timer(emitter&) override {
    if (writer_->has_data())
      writer_->commit();
  }
  void on_epoch_end(uint64_t, emitter&) override {
    if (mode_ == output_mode::complete || writer_->has_data())
      writer_->commit();
  }
  void finish(emitter&) override {
    // Rows after the last epoch mark (a stream without marks) still need committing; an
    // aggregation's final result was committed at its last mark already.
    if (writer_->has_data())
      writer_->commit();
  }

 private:
  file_sink_options opts_;
  std::optional<output_mode> mode_;
  Formatter fmt_;
  std::optional<part_file_writer> writer_;
  std::string buf_;
};

}  // namespace sluice
