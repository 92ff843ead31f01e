// Socket text source (Spark's socketTextStream): connects to HOST:PORT and emits one record per
// line received. The socket is non-blocking, so a quiet peer never blocks the actor: poll reports
// idle and the runtime polls again shortly. The source finishes when the peer closes the
// connection (or the job is stopped). A socket cannot be replayed, so with checkpoints every
// received line is first appended to a write-ahead log (fsync per batch) and emitted from there;
// a checkpoint records the log position, recovery replays the log from it before reading the
// socket again (a new connection), and segments no retained checkpoint needs are deleted.
// One instance per subtask (the plan gives it parallelism 1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <deque>
#include <memory>
#include <optional>

#include "checkpoints/wal.hpp"
#include "connectors/line_splitter.hpp"
#include "sluice/operator.hpp"

namespace sluice {

struct socket_source_options {
  std::string host;
  uint16_t port = 0;
  uint32_t connect_timeout_ms = 5000;  ///< give up connecting after this long
};

/// Parses "HOST:PORT"; throws std::invalid_argument naming the text when malformed.
socket_source_options parse_host_port(const std::string& text);

class socket_source final : public source_reader {
 public:
  explicit socket_source(socket_source_options opts);
  ~socket_source() override;
  /// Connects; throws std::runtime_error "cannot connect to HOST:PORT: reason".
  void open(const task_context& ctx) override;
  poll_status poll(emitter& out, uint32_t max_records) override;
  uint64_t bytes_read() const override { return bytes_read_; }
  void snapshot_state(operator_snapshot& snap) override;
  void restore_state(const operator_restore& r) override;
  void checkpoint_complete(uint64_t id, bool final) override;

 private:
  std::vector<std::string> receive(uint32_t max_records, bool& got);
  socket_source_options opts_;
  int fd_ = -1;
  bool eof_ = false;
  line_splitter splitter_;
  std::vector<char> buf_ = std::vector<char>(1 << 16);
  uint64_t bytes_read_ = 0;
  // With checkpoints: the log, the position of the next record to emit, and the positions
  // recorded by checkpoints not yet known to be superseded (id, position).
  std::unique_ptr<checkpoints::wal_writer> wal_;
  std::unique_ptr<checkpoints::wal_reader> reader_;
  std::string wal_dir_;
  checkpoints::wal_position next_ = 0;
  uint32_t retained_ = 3;
  std::deque<std::pair<uint64_t, checkpoints::wal_position>> recorded_;
  std::deque<uint64_t> completed_;
};

}  // namespace sluice
