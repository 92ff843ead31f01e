#include "connectors/kafka_sink.hpp"

#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "checkpoints/fault_points.hpp"
#include "checkpoints/wal.hpp"
#include "connectors/kafka_partitioner.hpp"
#include "connectors/kafka_publisher.hpp"
#include "connectors/kafka_sink_recovery.hpp"

namespace sluice {

kafka_delivery parse_kafka_delivery(const std::string& text) {
  if (text == "exactly-once")
    return kafka_delivery::exactly_once;
  if (text == "at-least-once")
    return kafka_delivery::at_least_once;
  throw std::invalid_argument("expected exactly-once or at-least-once, got '" + text + "'");
}

namespace {

using clock = std::chrono::steady_clock;

/// One checkpoint epoch of the log on its way to Kafka.
struct epoch {
  uint64_t id = 0;
  uint64_t lo = 0, hi = 0;   // log positions (sequence numbers) [lo, hi)
  uint64_t cursor = 0;       // next position to hand to the producer
  uint64_t outstanding = 0;  // handed over, delivery not yet reported
  bool committable = false;  // its checkpoint completed
  std::vector<int64_t> start;  // per partition: offsets its messages cannot lie below
  bool published() const { return committable && cursor == hi && outstanding == 0; }
};

std::string dir_safe(std::string s) {
  for (auto& c : s)
    if (c == '/' || c == '\\')
      c = '_';
  return s;
}

}  // namespace

struct kafka_writer::impl {
  kafka_sink_options opts;
  task_context ctx;
  bool exactly_once = false;
  kafka_detail::log_sink logs;
  std::unique_ptr<kafka_detail::publisher> pub;
  int32_t partitions = 0;
  std::string writer;
  uint64_t round_robin = 0;
  uint64_t published = 0;
  uint64_t next_seq = 0;  // without the log: sequence numbers of the headers

  // Exactly-once: the log, the epochs not yet published, what delivery reports taught.
  std::string wal_rel;
  std::unique_ptr<checkpoints::wal_writer> wal;
  std::unique_ptr<checkpoints::wal_reader> reader;
  std::vector<std::string> batch;
  uint64_t epoch_lo = 0;
  std::deque<epoch> pending;
  std::vector<int64_t> delivered_end;  // per partition: after the last delivered offset
  std::vector<std::string> chunk;      // log records read ahead, chunk[0] at chunk_pos
  uint64_t chunk_pos = 0;
  // The newest logged messages kept in memory, so publishing rarely reads the log back: the
  // positions [cached_lo, wal end). Bounded by cache_limit bytes; beyond it the cache restarts
  // at the log's end and older positions are read from the log.
  std::deque<std::string> cached;
  uint64_t cached_lo = 0;
  std::size_t cached_bytes = 0;
  static constexpr std::size_t cache_limit = 64u << 20;
  std::deque<std::pair<uint64_t, uint64_t>> recorded;  // checkpoint id -> first position it needs
  std::deque<uint64_t> completed;
  std::vector<std::string> adopted_wals;  // logs of earlier writers this one finished

  ~impl() {
    if (pub) {
      // A writer that is torn down before its job's end (a failure) stops publishing now:
      // whatever it had not delivered is the recovery's business.
      pub->purge();
      pub->poll(0);
    }
  }

  void on_delivered(uint64_t seq, int32_t partition, int64_t offset) {
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

  void send_now(const kafka_sink_log::record_view& r) {
    auto deadline = clock::now() + std::chrono::milliseconds(opts.flush_timeout_ms);
    while (!pub->send(r, kafka_detail::message_headers{&writer, 0, next_seq})) {
      if (clock::now() > deadline)
        throw kafka_error("the Kafka producer queue stayed full for " +
                          std::to_string(opts.flush_timeout_ms) + " ms (topic '" + opts.topic + "')");
      pub->poll(10);  // backpressure: the broker is slower than the job
    }
    ++next_seq;
  }

  void check_failure() const {
    if (!pub->failure().empty())
      throw kafka_error(pub->failure());
  }

  void retire() {
    while (!pending.empty() && pending.front().published()) {
      if (pending.front().hi > pending.front().lo)
        checkpoints::fault_point("kafka_sink_after_publish");
      pending.pop_front();
    }
  }

  /// The logged message at `pos` (< hi), from memory when cached, else from the log.
  const std::string& logged(uint64_t pos, uint64_t hi) {
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

  /// Keeps the batch just logged (positions up to the log's end) in memory, within the limit.
  void cache(std::vector<std::string>& logged_batch) {
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

  /// Hands committable messages to the producer until its queue is full.
  void publish_some() {
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

  /// The state of this writer for checkpoint `id` (after its epoch was closed).
  std::string state() const {
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

  /// Publishes everything committable and waits for its delivery.
  void drain() {
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

  void flush() {
    if (!pub->flush(opts.flush_timeout_ms))
      throw kafka_error("flushing to Kafka topic '" + opts.topic + "' did not finish within " +
                        std::to_string(opts.flush_timeout_ms) + " ms");
    check_failure();
  }

  /// Truncates the log before what the oldest retained checkpoint may still replay.
  void forget_old(uint64_t id) {
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

  void open_log() {
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

  std::vector<kafka_sink_log::writer_state> restored_writers(const operator_restore& r) const {
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
};

kafka_writer::kafka_writer(kafka_sink_options opts) : impl_(std::make_unique<impl>()) {
  impl_->opts = std::move(opts);
}

kafka_writer::~kafka_writer() = default;

void kafka_writer::open(const task_context& ctx) {
  auto& m = *impl_;
  m.ctx = ctx;
  m.exactly_once = ctx.checkpointing && m.opts.delivery == kafka_delivery::exactly_once;
  m.writer = (m.opts.writer_prefix.empty() ? ctx.uid : m.opts.writer_prefix) + "/" +
             std::to_string(ctx.subtask) + "-of-" + std::to_string(ctx.parallelism);
  m.pub = std::make_unique<kafka_detail::publisher>(m.opts.connection, m.opts.topic, m.logs,
                                                    m.opts.auto_create_topic);
  m.pub->set_on_delivered([&m](uint64_t seq, int32_t p, int64_t off) { m.on_delivered(seq, p, off); });
  m.partitions = m.pub->partitions();
  if (m.exactly_once)
    m.open_log();
}

void kafka_writer::add(const kafka_message& msg) {
  auto& m = *impl_;
  int32_t p = msg.has_key ? kafka_partition_for_key(msg.key, m.partitions)
                          : static_cast<int32_t>(m.round_robin++ % static_cast<uint64_t>(m.partitions));
  if (m.exactly_once) {
    m.batch.push_back(kafka_sink_log::encode(p, msg.has_key, msg.key, msg.value));
    return;
  }
  m.send_now(kafka_sink_log::record_view{p, msg.has_key, msg.key, msg.value});
}

void kafka_writer::end_batch() {
  auto& m = *impl_;
  if (m.exactly_once && !m.batch.empty()) {
    m.wal->append(m.batch);
    m.cache(m.batch);
    m.batch.clear();
  }
}

void kafka_writer::service() {
  auto& m = *impl_;
  m.pub->poll(0);
  m.check_failure();
  if (!m.exactly_once)
    return;
  m.publish_some();
  m.retire();
}

std::string kafka_writer::precommit(uint64_t id) {
  auto& m = *impl_;
  if (!m.exactly_once) {
    if (m.ctx.checkpointing)
      m.flush();  // at-least-once: everything before the barrier is in Kafka when it completes
    return m.state();
  }
  end_batch();
  epoch e;
  e.id = id;
  e.lo = e.cursor = m.epoch_lo;
  e.hi = m.wal->end();
  m.epoch_lo = e.hi;
  m.pending.push_back(e);
  m.wal->sync();
  m.retire();
  m.recorded.emplace_back(id, m.pending.empty() ? e.hi : m.pending.front().lo);
  return m.state();
}

std::string kafka_writer::describe() const {
  const auto& m = *impl_;
  nlohmann::json j;
  j["writer"] = m.writer;
  j["topic"] = m.opts.topic;
  j["delivery"] = m.exactly_once ? "exactly-once" : "at-least-once";
  auto& p = j["pending_epochs"] = nlohmann::json::array();
  for (const auto& e : m.pending)
    if (e.hi > e.lo && !e.published())
      p.push_back({{"checkpoint", e.id}, {"messages", e.hi - e.lo}});
  j["published"] = m.published;
  return j.dump();
}

void kafka_writer::commit_upto(uint64_t id, bool final) {
  auto& m = *impl_;
  if (!m.exactly_once) {
    if (final)
      m.flush();
    return;
  }
  bool any = false;
  for (auto& e : m.pending)
    if ((final || e.id <= id) && !e.committable) {
      e.committable = true;
      any = any || e.hi > e.lo;
    }
  if (any)
    checkpoints::fault_point("kafka_sink_before_publish");
  m.forget_old(id);
  if (final)
    m.drain();
  else
    service();
}

void kafka_writer::restore(const operator_restore& r) {
  auto& m = *impl_;
  if (!m.exactly_once) {
    if (r.operator_state)
      m.next_seq = kafka_sink_log::writer_state::parse(*r.operator_state).next_seq;
    return;
  }
  for (const auto& s : m.restored_writers(r)) {
    auto st = kafka_detail::recover_writer(s, m.ctx.checkpoint_dir, m.opts, *m.pub);
    if (s.writer != m.writer)
      m.adopted_wals.push_back(s.wal_dir);
    if (st.pending > 0)
      std::fprintf(stderr,
                   "sluice: Kafka sink %s: %llu message(s) of checkpoint %llu pending: %llu already "
                   "in topic '%s', %llu published now\n",
                   s.writer.c_str(), static_cast<unsigned long long>(st.pending),
                   static_cast<unsigned long long>(r.checkpoint_id),
                   static_cast<unsigned long long>(st.found), m.opts.topic.c_str(),
                   static_cast<unsigned long long>(st.republished));
  }
}

void kafka_writer::finish() {
  auto& m = *impl_;
  if (!m.ctx.checkpointing)
    m.flush();  // with checkpoints the final checkpoint publishes (exactly-once) or flushes
}

}  // namespace sluice
