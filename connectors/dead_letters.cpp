#include "connectors/dead_letters.hpp"

namespace sluice {

std::string dead_letter_writer::dir() const {
  return ctx_.dead_letter_dir.empty() ? std::string{"dead-letters"} : ctx_.dead_letter_dir;
}

dead_letter_writer::dead_letter_writer(const task_context& ctx) : ctx_(ctx) {
  // A fresh start under checkpoints: in-progress files of a killed earlier run are garbage.
  if (ctx_.checkpointing && !ctx_.restoring)
    part_file_writer::discard_in_progress(dir(), ctx_.uid, ctx_.subtask);
}

part_file_writer& dead_letter_writer::writer() {
  if (!writer_) {
    file_sink_options o;
    o.dir = dir();
    o.prefix = ctx_.uid;
    writer_.emplace(o, ctx_.subtask, false, ctx_.checkpointing);
    writer_->open();
  }
  return *writer_;
}

void dead_letter_writer::write(const std::string& reason, const std::string& record) {
  line_.clear();
  for (char c : reason)
    line_.push_back(c == '\n' || c == '\t' ? ' ' : c);
  line_.push_back('\t');
  line_.append(record);
  line_.push_back('\n');
  writer().append(line_);
  ++count_;
}

void dead_letter_writer::flush() {
  if (writer_ && writer_->has_data())
    writer_->roll();
}

std::string dead_letter_writer::precommit(uint64_t id) {
  return writer_ ? writer_->precommit(id) : std::string{};
}

void dead_letter_writer::commit_upto(uint64_t id) {
  if (writer_)
    writer_->commit_upto(id);
}

void dead_letter_writer::restore(const std::string& state) {
  if (!state.empty())
    writer().restore(state);
  else  // nothing pre-committed: whatever is in progress belongs to no completed checkpoint
    part_file_writer::discard_in_progress(dir(), ctx_.uid, ctx_.subtask);
}

}  // namespace sluice
