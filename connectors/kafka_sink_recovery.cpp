#include "connectors/kafka_sink_recovery.hpp"

#include <charconv>
#include <chrono>
#include <cstring>
#include <vector>

#include "checkpoints/fault_points.hpp"
#include "checkpoints/wal.hpp"

namespace sluice::kafka_detail {

namespace {

using clock = std::chrono::steady_clock;

bool in_pending(const kafka_sink_log::writer_state& s, uint64_t seq) {
  for (const auto& e : s.pending)
    if (seq >= e.lo && seq < e.hi)
      return true;
  return false;
}

/// The sequence number of a message from writer `writer`, or false when it is someone else's.
bool sequence_of(rd_kafka_message_t* m, const std::string& writer, uint64_t& seq) {
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR || !hdrs)
    return false;
  const void* v = nullptr;
  size_t n = 0;
  if (rd_kafka_header_get_last(hdrs, kafka_header_writer, &v, &n) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      n != writer.size() || (n > 0 && std::memcmp(v, writer.data(), n) != 0))
    return false;
  if (rd_kafka_header_get_last(hdrs, kafka_header_seq, &v, &n) != RD_KAFKA_RESP_ERR_NO_ERROR || !v)
    return false;
  const char* p = static_cast<const char*>(v);
  return std::from_chars(p, p + n, seq).ec == std::errc{};
}

/// A consumer that reads the tail without joining a group.
std::unique_ptr<RdKafka::KafkaConsumer> tail_reader(const kafka_connection& c, const std::string& writer,
                                                    log_sink& logs) {
  auto conf = make_conf(c, &logs);
  set(*conf, "group.id", "sluice-recovery");  // never joined: assign() only, nothing committed
  set(*conf, "enable.auto.commit", "false");
  set(*conf, "enable.partition.eof", "true");
  set(*conf, "isolation.level", "read_uncommitted");  // what every reader may see
  set(*conf, "auto.offset.reset", "earliest");
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> k{RdKafka::KafkaConsumer::create(conf.get(), err)};
  if (!k)
    throw kafka_error("cannot create a Kafka consumer for the recovery of " + writer + ": " + err);
  return k;
}

}  // namespace

std::unordered_set<uint64_t> published_sequences(const kafka_sink_log::writer_state& s,
                                                 const kafka_sink_options& o) {
  std::unordered_set<uint64_t> found;
  log_sink logs;
  auto consumer = tail_reader(o.connection, s.writer, logs);
  auto deadline = clock::now() + std::chrono::milliseconds(o.flush_timeout_ms);
  std::vector<int64_t> end(static_cast<std::size_t>(s.partitions), 0);
  std::vector<bool> reached(end.size(), true);
  std::vector<RdKafka::TopicPartition*> tps;
  std::size_t open = 0;
  for (int32_t p = 0; p < s.partitions; ++p) {
    int64_t lo = 0, hi = 0;
    auto err = consumer->query_watermark_offsets(o.topic, p, &lo, &hi, static_cast<int>(o.connection.timeout_ms));
    if (err != RdKafka::ERR_NO_ERROR) {
      RdKafka::TopicPartition::destroy(tps);
      throw kafka_error("cannot read the end of Kafka partition " + o.topic + "/" + std::to_string(p) +
                        " to recover " + s.writer + ": " + RdKafka::err2str(err));
    }
    auto i = static_cast<std::size_t>(p);
    int64_t from = i < s.scan_from.size() ? std::max(s.scan_from[i], lo) : lo;
    end[i] = hi;
    if (from < hi) {
      reached[i] = false;
      ++open;
      tps.push_back(RdKafka::TopicPartition::create(o.topic, p, from));
    }
  }
  if (open > 0)
    consumer->assign(tps);
  RdKafka::TopicPartition::destroy(tps);
  rd_kafka_queue_t* q = rd_kafka_queue_get_consumer(consumer->c_ptr());
  std::vector<rd_kafka_message_t*> msgs(1024);
  while (open > 0) {
    if (clock::now() > deadline) {
      rd_kafka_queue_destroy(q);
      throw kafka_error("cannot read the tail of Kafka topic '" + o.topic + "' within " +
                        std::to_string(o.flush_timeout_ms) + " ms to recover " + s.writer);
    }
    auto n = rd_kafka_consume_batch_queue(q, 100, msgs.data(), msgs.size());
    for (ssize_t k = 0; k < n; ++k) {
      auto* m = msgs[static_cast<std::size_t>(k)];
      auto i = static_cast<std::size_t>(m->partition);
      if (i < end.size() && !reached[i]) {
        uint64_t seq = 0;
        if (!m->err && sequence_of(m, s.writer, seq) && in_pending(s, seq))
          found.insert(seq);
        if ((!m->err || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) &&
            m->offset + (m->err ? 0 : 1) >= end[i]) {
          reached[i] = true;
          --open;
        }
      }
      rd_kafka_message_destroy(m);
    }
  }
  rd_kafka_queue_destroy(q);
  consumer->close();
  return found;
}

recovery_stats recover_writer(const kafka_sink_log::writer_state& s, const std::string& checkpoint_dir,
                              const kafka_sink_options& o, publisher& pub) {
  recovery_stats st;
  for (const auto& e : s.pending)
    st.pending += e.hi - e.lo;
  if (st.pending == 0)
    return st;
  auto found = published_sequences(s, o);
  st.found = found.size();
  checkpoints::wal_reader reader(checkpoint_dir + "/" + s.wal_dir);
  kafka_sink_log::record_view r;
  auto deadline = clock::now() + std::chrono::milliseconds(o.flush_timeout_ms);
  for (const auto& e : s.pending) {
    for (uint64_t pos = e.lo; pos < e.hi;) {
      auto chunk = reader.read(pos, static_cast<std::size_t>(std::min<uint64_t>(e.hi - pos, 1024)));
      if (chunk.empty())
        throw kafka_error("the Kafka sink's log " + s.wal_dir + " ends before position " + std::to_string(pos));
      for (const auto& bytes : chunk) {
        uint64_t seq = pos++;
        if (found.count(seq))
          continue;
        if (!kafka_sink_log::decode(bytes, r))
          throw kafka_error("malformed message at position " + std::to_string(seq) + " of the Kafka sink's log " + s.wal_dir);
        while (!pub.send(r, message_headers{&s.writer, e.id, seq})) {
          if (clock::now() > deadline)
            throw kafka_error("cannot republish to Kafka topic '" + o.topic + "' within the flush timeout");
          pub.poll(10);
        }
        ++st.republished;
        checkpoints::fault_point("kafka_sink_mid_recovery");
      }
    }
  }
  if (!pub.flush(o.flush_timeout_ms))
    throw kafka_error("republishing to Kafka topic '" + o.topic + "' did not finish within " +
                      std::to_string(o.flush_timeout_ms) + " ms");
  if (!pub.failure().empty())
    throw kafka_error(pub.failure());
  return st;
}

}  // namespace sluice::kafka_detail
