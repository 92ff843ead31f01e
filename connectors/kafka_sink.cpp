#include "connectors/kafka_sink.hpp"

#include <cstdio>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "checkpoints/fault_points.hpp"
#include "connectors/kafka_partitioner.hpp"
#include "connectors/kafka_sink_recovery.hpp"
#include "connectors/kafka_sink_writer.hpp"

namespace sluice {

kafka_delivery parse_kafka_delivery(const std::string& text) {
  if (text == "exactly-once")
    return kafka_delivery::exactly_once;
  if (text == "at-least-once")
    return kafka_delivery::at_least_once;
  throw std::invalid_argument("expected exactly-once or at-least-once, got '" + text + "'");
}


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
  kafka_epoch e;
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
