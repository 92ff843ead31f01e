#include <algorithm>
#include <chrono>
#include <filesystem>

#include "checkpoints/fault_points.hpp"
#include "connectors/kafka_sink_writer.hpp"

namespace sluice {

namespace {

using clock = std::chrono::steady_clock;

std::string dir_safe(std::string s) {
  for (auto& c : s)
    if (c == '/' || c == '\\')
      c = '_';
  return s;
}

}  // namespace

kafka_writer::impl::~impl() {
  if (pub) {
    // A writer that is torn down before its job's end (a failure) stops publishing now:
    // whatever it had not delivered is the recovery's business.
    pub->purge();
    pub->poll(0);
  }
}

void kafka_writer::impl::on_delivered(uint64_t seq, int32_t partition, int64_t offset) {
  ++published;
  auto p = static_cast<std::size_t>(partition);
  if (p < delivered_end.size())
    delivered_end[p] = std::max(delivered_end[p], offset + 1);
  for (auto& e : pending)
    if (seq >= e.lo && seq < e.hi) {
      --e.outstanding;
      break;
    }
}

void kafka_writer::impl::send_now(const kafka_sink_log::record_view& r) {
  auto deadline = clock::now() + std::chrono::milliseconds(opts.flush_timeout_ms);
  while (!pub->send(r, kafka_detail::message_headers{&writer, 0, next_seq})) {
    if (clock::now() > deadline)
      throw kafka_error("the Kafka producer queue stayed full for " +
                        std::to_string(opts.flush_timeout_ms) + " ms (topic '" + opts.topic + "')");
    pub->poll(10);  // backpressure: the broker is slower than the job
  }
  ++next_seq;
}

void kafka_writer::impl::check_failure() const {
  if (!pub->failure().empty())
    throw kafka_error(pub->failure());
}

void kafka_writer::impl::retire() {
  while (!pending.empty() && pending.front().published()) {
    if (pending.front().hi > pending.front().lo)
      checkpoints::fault_point("kafka_sink_after_publish");
    pending.pop_front();
  }
}

const std::string& kafka_writer::impl::logged(uint64_t pos, uint64_t hi) {
  while (!cached.empty() && cached_lo < pos) {  // published: no longer needed in memory
    cached_bytes -= cached.front().size();
    cached.pop_front();
    ++cached_lo;
  }
  if (pos >= cached_lo && pos < cached_lo + cached.size())
    return cached[pos - cached_lo];
  if (pos < chunk_pos || pos >= chunk_pos + chunk.size()) {
    chunk = reader->read(pos, static_cast<std::size_t>(std::min<uint64_t>(hi - pos, 4096)));
    chunk_pos = pos;
    if (chunk.empty())
      throw kafka_error("the Kafka sink's log " + wal_rel + " ends before position " + std::to_string(pos));
  }
  return chunk[pos - chunk_pos];
}

void kafka_writer::impl::cache(std::vector<std::string>& logged_batch) {
  if (cached_bytes > cache_limit) {
    cached.clear();
    cached_bytes = 0;
    cached_lo = wal->end();  // older positions come from the log
    return;
  }
  if (cached.empty())
    cached_lo = wal->end() - logged_batch.size();
  for (auto& m : logged_batch) {
    cached_bytes += m.size();
    cached.push_back(std::move(m));
  }
}

void kafka_writer::impl::publish_some() {
  kafka_sink_log::record_view r;
  for (auto& e : pending) {
    if (!e.committable)
      break;
    if (e.cursor < e.hi && e.start.empty())
      e.start = delivered_end;
    while (e.cursor < e.hi) {
      if (!kafka_sink_log::decode(logged(e.cursor, e.hi), r))
        throw kafka_error("malformed message at position " + std::to_string(e.cursor) + " of the Kafka sink's log");
      if (!pub->send(r, kafka_detail::message_headers{&writer, e.id, e.cursor}))
        return;  // queue full: the next service() goes on
      ++e.cursor;
      ++e.outstanding;
      checkpoints::fault_point("kafka_sink_mid_publish");
    }
  }
}

std::string kafka_writer::impl::state() const {
  kafka_sink_log::writer_state s;
  s.writer = writer;
  s.wal_dir = wal_rel;
  s.partitions = partitions;
  s.next_seq = next_seq;
  s.scan_from = delivered_end;
  bool first = true;
  for (const auto& e : pending) {
    if (e.hi == e.lo || e.published())
      continue;
    if (first && !e.start.empty())
      s.scan_from = e.start;
    first = false;
    s.pending.push_back({e.id, e.lo, e.hi});
  }
  return s.to_json();
}

void kafka_writer::impl::drain() {
  auto deadline = clock::now() + std::chrono::milliseconds(opts.flush_timeout_ms);
  for (;;) {
    pub->poll(0);
    check_failure();
    publish_some();
    retire();
    if (pending.empty() || !pending.front().committable)
      return;
    if (clock::now() > deadline)
      throw kafka_error("publishing to Kafka topic '" + opts.topic + "' did not finish within " +
                        std::to_string(opts.flush_timeout_ms) + " ms");
    pub->poll(10);
  }
}

void kafka_writer::impl::flush() {
  if (!pub->flush(opts.flush_timeout_ms))
    throw kafka_error("flushing to Kafka topic '" + opts.topic + "' did not finish within " +
                      std::to_string(opts.flush_timeout_ms) + " ms");
  check_failure();
}

void kafka_writer::impl::forget_old(uint64_t id) {
  completed.push_back(id);
  while (completed.size() > ctx.checkpoints_retained)
    completed.pop_front();
  while (!recorded.empty() && recorded.front().first < completed.front())
    recorded.pop_front();
  if (!recorded.empty() && recorded.front().first == completed.front())
    wal->truncate_before(std::min(recorded.front().second, wal->end()));
  // Logs adopted from a different parallelism are done once a checkpoint of this one exists.
  for (const auto& dir : adopted_wals) {
    std::error_code ec;
    std::filesystem::remove_all(ctx.checkpoint_dir + "/" + dir, ec);
  }
  adopted_wals.clear();
}

void kafka_writer::impl::open_log() {
  wal_rel = "wal/" + dir_safe(ctx.uid) + "-" + std::to_string(ctx.subtask) + "-of-" +
            std::to_string(ctx.parallelism);
  checkpoints::wal_options o;
  o.dir = ctx.checkpoint_dir + "/" + wal_rel;
  o.segment_bytes = 64ull << 20;
  wal = std::make_unique<checkpoints::wal_writer>(o);
  wal->open();
  epoch_lo = wal->end();  // anything after the restored epochs belongs to no completed checkpoint
  cached_lo = epoch_lo;
  reader = std::make_unique<checkpoints::wal_reader>(o.dir);
  delivered_end.assign(static_cast<std::size_t>(partitions), 0);
  for (int32_t p = 0; p < partitions; ++p) {
    int64_t lo = 0, hi = 0;
    auto err = pub->producer().query_watermark_offsets(opts.topic, p, &lo, &hi,
                                                       static_cast<int>(opts.connection.timeout_ms));
    if (err != RdKafka::ERR_NO_ERROR)
      throw kafka_error("cannot read the end of Kafka partition " + opts.topic + "/" +
                        std::to_string(p) + ": " + RdKafka::err2str(err));
    delivered_end[static_cast<std::size_t>(p)] = hi;
  }
}

std::vector<kafka_sink_log::writer_state> kafka_writer::impl::restored_writers(const operator_restore& r) const {
  std::vector<kafka_sink_log::writer_state> out;
  if (r.operator_state) {
    out.push_back(kafka_sink_log::writer_state::parse(*r.operator_state));
    return out;
  }
  // Another parallelism: adopt each earlier writer whose first key group is ours.
  for (const auto& part : r.parts) {
    if (!part.file || part.key_group_first < ctx.key_group_first() || part.key_group_first > ctx.key_group_last())
      continue;
    if (const auto* st = part.file->find(state::section_id{"", state::no_key_group}))
      out.push_back(kafka_sink_log::writer_state::parse(*st));
  }
  return out;
}

}  // namespace sluice
