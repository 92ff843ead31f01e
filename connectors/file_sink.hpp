// File sink: writes lines into part files of an output directory. Each subtask writes a hidden
// in-progress file (".part-S-N.inprogress") that becomes visible by an atomic rename, so a reader
// of the directory never sees a partial or uncommitted file. Downstream of a complete-mode
// aggregation each trigger's result replaces "part-S" instead, so the directory holds exactly
// the latest full result.
//
// Without checkpoints a part is committed at every trigger epoch, at the end of input, every
// `rollover_ms` and past `max_part_bytes`. With checkpoints the sink follows two-phase commit:
// parts are closed and fsynced at the barrier (pre-commit, recorded in the checkpoint) and renamed
// only when that checkpoint completes; recovery commits what the restored checkpoint
// pre-committed (idempotently) and deletes every other in-progress file of the subtask.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "connectors/format.hpp"
#include "sluice/operator.hpp"
#include "sluice/output_mode.hpp"

namespace sluice {

struct file_sink_options {
  std::string dir;                         ///< output directory; created if missing
  uint64_t max_part_bytes = 128ull << 20;  ///< roll a part file past this size
  uint32_t rollover_ms = 1000;             ///< without checkpoints: commit a non-empty part this often
  std::string prefix = "part";             ///< file names: PREFIX-S-N (or PREFIX-S when replacing)
};

/// The part files of one sink subtask, with two-phase commit. Not thread-safe.
class part_file_writer {
 public:
  /// `replace`: each commit replaces "PREFIX-S" (complete mode) instead of adding "PREFIX-S-N".
  /// `transactional`: commit only through precommit / commit_upto (checkpoints on).
  part_file_writer(file_sink_options opts, uint32_t subtask, bool replace, bool transactional);
  ~part_file_writer();
  /// Creates the directory and picks the next sequence number; throws std::runtime_error.
  void open();
  void append(const std::string& text);
  /// Ends the current part: without transactions it becomes visible now; with them it waits
  /// (fsynced, hidden) for the next pre-commit. With `replace`, older waiting results are dropped.
  void roll();
  bool has_data() const { return bytes_ > 0; }
  uint64_t bytes() const { return bytes_; }

  /// Pre-commits every ended part for checkpoint `id`; returns the writer's state to checkpoint.
  std::string precommit(uint64_t id);
  /// Makes the parts pre-committed for checkpoints ≤ id visible. Idempotent.
  void commit_upto(uint64_t id);
  /// Takes back a checkpointed state: commits its pre-committed parts and deletes every other
  /// in-progress file of this subtask (they belong to no completed checkpoint).
  void restore(const std::string& state);
  /// Replace mode: deletes "PREFIX-K" results of subtasks K >= parallelism left by an earlier run
  /// with more subtasks, so the directory holds exactly one full result.
  void remove_stale_results(uint32_t parallelism) const;
  /// Deletes the hidden in-progress files of `subtask` in `dir` (a missing dir is fine).
  static void discard_in_progress(const std::string& dir, const std::string& prefix,
                                  uint32_t subtask);
  /// JSON list of the pending transactions, for the manifest.
  std::string describe() const;

 private:
  struct part {
    uint64_t checkpoint = 0;  ///< pre-committed for it (0: ended, not yet pre-committed)
    std::string hidden;       ///< in-progress name
    std::string visible;      ///< committed name
  };
  void open_part();
  void publish(const part& p) const;
  std::string hidden_name(uint64_t seq) const;
  std::string visible_name(uint64_t seq) const;

  file_sink_options opts_;
  uint32_t subtask_;
  bool replace_;
  bool transactional_;
  /// Unique to this writer: in-progress names ".PREFIX-S-N.TOKEN.inprogress" never collide with
  /// another writer of the same subtask (a cut-off worker still running beside its replacement).
  std::string token_;
  int fd_ = -1;
  uint64_t seq_ = 0;
  uint64_t bytes_ = 0;
  std::string tmp_path_;
  std::vector<part> ended_;    // ended, waiting for the next pre-commit
  std::vector<part> pending_;  // pre-committed, waiting for their checkpoint to complete
};

template <class T, class Formatter = default_formatter>
class file_sink final : public operator_logic {
 public:
  file_sink(file_sink_options opts, std::optional<output_mode> mode, Formatter fmt = {})
      : opts_(std::move(opts)), mode_(mode), fmt_(std::move(fmt)) {}

  void open(const task_context& ctx) override {
    writer_.emplace(opts_, ctx.subtask, mode_ == output_mode::complete, ctx.checkpointing);
    writer_->open();
    transactional_ = ctx.checkpointing;
    // A fresh start (no checkpoint to restore): in-progress files of an earlier, killed run
    // belong to no completed checkpoint. A restore cleans up in restore_state instead, after
    // committing what the checkpoint pre-committed.
    if (transactional_ && !ctx.restoring)
      part_file_writer::discard_in_progress(opts_.dir, opts_.prefix, ctx.subtask);
    if (mode_ == output_mode::complete && ctx.subtask == 0)
      writer_->remove_stale_results(ctx.parallelism);
  }
  void process(batch_base& in, emitter&) override {
    buf_.clear();
    for (const auto& x : as_batch<T>(in).items) {
      fmt_(buf_, x);
      buf_.push_back('\n');
    }
    writer_->append(buf_);
    if (mode_ != output_mode::complete && writer_->bytes() >= opts_.max_part_bytes)
      writer_->roll();
  }
  std::chrono::milliseconds timer_period() const override {
    return mode_ || transactional_ ? std::chrono::milliseconds{0}
                                   : std::chrono::milliseconds{opts_.rollover_ms};
  }
  void on_timer(emitter&) override {
    if (writer_->has_data())
      writer_->roll();
  }
  void on_epoch_end(uint64_t, emitter&) override {
    // Complete mode: the epoch's rows are one full result. Otherwise, without checkpoints,
    // every trigger makes its rows visible.
    if (mode_ == output_mode::complete || (!transactional_ && writer_->has_data()))
      writer_->roll();
  }
  void finish(emitter&) override {
    // Rows after the last epoch mark still need a part; with checkpoints the final checkpoint
    // pre-commits and commits it.
    if (writer_->has_data() && mode_ != output_mode::complete)
      writer_->roll();
  }
  void snapshot_state(operator_snapshot& s) override {
    s.set_operator_state(writer_->precommit(s.checkpoint_id));
    s.description = writer_->describe();
  }
  void checkpoint_complete(uint64_t id, bool final) override {
    writer_->commit_upto(final ? UINT64_MAX : id);
  }
  void restore_state(const operator_restore& r) override {
    writer_->restore(r.operator_state ? *r.operator_state : std::string{});
  }

 private:
  file_sink_options opts_;
  std::optional<output_mode> mode_;
  Formatter fmt_;
  std::optional<part_file_writer> writer_;
  std::string buf_;
  bool transactional_ = false;
};

}  // namespace sluice
