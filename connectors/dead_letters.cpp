#include "connectors/dead_letters.hpp"

namespace sluice {

part_file_writer& dead_letter_writer::writer() {
  if (!writer_) {
    file_sink_options o;
    o.dir = ctx_.dead_letter_dir.empty() ? std::string{"dead-letters"} : ctx_.dead_letter_dir;
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
}

}  // namespace sluice
