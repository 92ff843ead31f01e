#include "connectors/kafka_source.hpp"

#include "connectors/kafka_source_impl.hpp"

namespace sluice {

void parse_kafka_start(const std::string& text, kafka_source_options& o) {
  if (text == "earliest") {
    o.start = kafka_start::earliest;
  } else if (text == "latest") {
    o.start = kafka_start::latest;
  } else if (text == "committed") {
    o.start = kafka_start::committed;
  } else if (!text.empty() && text.size() <= 18 &&
             text.find_first_not_of("0123456789") == std::string::npos) {
    o.start = kafka_start::timestamp;
    o.start_timestamp_ms = std::stoll(text);
  } else {
    throw std::invalid_argument("expected earliest, latest, committed or a timestamp in ms, got '" +
                                text + "'");
  }
}

kafka_split* kafka_source::impl::find(const char* topic, int32_t partition) {
  for (std::size_t t = 0; t < opts.topics.size(); ++t)
    if (opts.topics[t] == topic) {
      if (partition < 0 || static_cast<std::size_t>(partition) >= slot[t].size())
        return nullptr;
      auto i = slot[t][static_cast<std::size_t>(partition)];
      return i < 0 ? nullptr : &splits[static_cast<std::size_t>(i)];
    }
  return nullptr;
}

bool kafka_source::impl::all_done() const {
  for (const auto& s : splits)
    if (!s.done)
      return false;
  return true;
}

void kafka_source::impl::mark_done(kafka_split& s) {
  s.done = true;
  std::vector<RdKafka::TopicPartition*> tp{RdKafka::TopicPartition::create(s.topic, s.partition)};
  consumer->pause(tp);
  RdKafka::TopicPartition::destroy(tp);
}

void kafka_source::impl::handle_error(rd_kafka_message_t* m) {
  auto where = std::string{m->rkt ? rd_kafka_topic_name(m->rkt) : "?"} + "/" + std::to_string(m->partition);
  switch (m->err) {
    case RD_KAFKA_RESP_ERR__PARTITION_EOF: {
      auto* s = m->rkt ? find(rd_kafka_topic_name(m->rkt), m->partition) : nullptr;
      if (s && !s->done && s->end >= 0 && m->offset >= s->end)
        mark_done(*s);
      return;
    }
    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
    case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
      throw kafka_error("Kafka partition " + where + ": the offset to read next is no longer in the " +
                        "log (records deleted by retention before they were read): " +
                        rd_kafka_message_errstr(m));
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      throw kafka_error("Kafka partition " + where + " no longer exists: " + rd_kafka_message_errstr(m));
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
      throw kafka_error("Kafka consumer failed: " + std::string{rd_kafka_message_errstr(m)});
    default:
      return;  // transient (a broker restarting, a lost connection): librdkafka retries
  }
}

void kafka_source::impl::handle(rd_kafka_message_t* m, std::vector<kafka_record>& out, uint64_t& bytes) {
  if (m->err) {
    handle_error(m);
    return;
  }
  auto* s = find(rd_kafka_topic_name(m->rkt), m->partition);
  if (!s || s->done || (s->next >= 0 && m->offset < s->next))
    return;  // paused or no longer ours: a fetch that was already on its way
  if (s->end >= 0 && m->offset >= s->end) {
    mark_done(*s);
    return;
  }
  rd_kafka_timestamp_type_t type;
  int64_t ts = rd_kafka_message_timestamp(m, &type);
  s->next = m->offset + 1;
  bool skip = false;
  if (s->seeking) {
    if (ts >= 0 && ts < opts.start_timestamp_ms)
      skip = true;
    else
      s->seeking = false;
  }
  if (!skip) {
    auto& r = out.emplace_back();
    if (m->key)
      r.key.assign(static_cast<const char*>(m->key), m->key_len);
    if (m->payload)
      r.value.assign(static_cast<const char*>(m->payload), m->len);
    r.topic = s->topic;
    r.partition = m->partition;
    r.offset = m->offset;
    r.timestamp = ts;
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
      const char* name;
      const void* val;
      size_t size;
      for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
        r.headers.emplace_back(name, val ? std::string(static_cast<const char*>(val), size) : std::string{});
    }
    bytes += m->key_len + m->len;
  }
  if (s->end >= 0 && s->next >= s->end)
    mark_done(*s);
}

kafka_source::kafka_source(kafka_source_options opts) : impl_(std::make_unique<impl>()) {
  impl_->opts = std::move(opts);
}

kafka_source::~kafka_source() = default;

void kafka_source::open(const task_context& ctx) {
  auto& m = *impl_;
  m.ctx = ctx;
  if (m.opts.topics.empty())
    throw kafka_error("no Kafka topic to read");
  m.create_consumer();
  m.slot.resize(m.opts.topics.size());
  m.known.assign(m.opts.topics.size(), 0);
  for (std::size_t t = 0; t < m.opts.topics.size(); ++t) {
    const auto& topic = m.opts.topics[t];
    m.add_partitions(t, 0, m.opts.list_partitions ? m.opts.list_partitions(topic)
                                                  : kafka_detail::partition_count(*m.consumer, m.opts.connection, topic, false, m.logs));
  }
}

poll_status kafka_source::poll(emitter& out, uint32_t max_records) {
  auto& m = *impl_;
  m.ensure_started();
  if (stop_requested_ || (m.opts.bounded && m.all_done()))
    return poll_status::finished;
  m.take_discovered();
  auto b = std::make_shared<batch<kafka_record>>();
  auto want = std::max<uint32_t>(1, max_records);
  b->items.reserve(want);
  m.msgs.resize(want);
  auto n = rd_kafka_consume_batch_queue(m.queue, 0, m.msgs.data(), want);
  if (n < 0)
    throw kafka_error(std::string{"Kafka consume failed: "} + rd_kafka_err2str(rd_kafka_last_error()));
  std::size_t i = 0;
  try {
    for (; i < static_cast<std::size_t>(n); ++i) {
      m.handle(m.msgs[i], b->items, bytes_read_);
      rd_kafka_message_destroy(m.msgs[i]);
    }
  } catch (...) {
    for (; i < static_cast<std::size_t>(n); ++i)
      rd_kafka_message_destroy(m.msgs[i]);
    throw;
  }
  out.emit(std::move(b));
  if (m.opts.bounded && m.all_done())
    return n > 0 ? poll_status::more : poll_status::finished;
  return n > 0 ? poll_status::more : poll_status::idle;
}

void kafka_source::snapshot_state(operator_snapshot& snap) {
  auto& m = *impl_;
  m.ensure_started();
  nlohmann::json j;
  auto& offsets = j["offsets"] = nlohmann::json::object();
  std::vector<std::pair<std::size_t, int64_t>> commit;
  for (std::size_t i = 0; i < m.splits.size(); ++i) {
    const auto& s = m.splits[i];
    auto key = std::to_string(s.partition);
    offsets[s.topic][key] = s.next;
    if (s.end >= 0)
      j["ends"][s.topic][key] = s.end;
    if (s.seeking)
      j["seeking"][s.topic].push_back(s.partition);
    if (s.next >= 0)
      commit.emplace_back(i, s.next);
  }
  m.recorded.emplace_back(snap.checkpoint_id, std::move(commit));
  while (m.recorded.size() > 16)
    m.recorded.pop_front();
  auto text = j.dump();
  snap.set_operator_state(text);
  snap.description = text;
}

void kafka_source::restore_state(const operator_restore& r) {
  auto& m = *impl_;
  if (!r.operator_state) {
    if (r.old_parallelism != 0 && r.old_parallelism != m.ctx.parallelism)
      throw kafka_error("the checkpoint has no Kafka offsets for subtask " + std::to_string(m.ctx.subtask) +
                        " (the source's parallelism changed from " + std::to_string(r.old_parallelism) +
                        " to " + std::to_string(m.ctx.parallelism) + "; restore with the same parallelism)");
    return;  // a source new to the job starts at its start position
  }
  m.restored = std::make_unique<nlohmann::json>(nlohmann::json::parse(*r.operator_state));
  if (!m.restored->contains("offsets"))
    throw kafka_error("the checkpointed Kafka position has no offsets");
}

void kafka_source::checkpoint_complete(uint64_t id, bool) {
  auto& m = *impl_;
  while (!m.recorded.empty() && m.recorded.front().first < id)
    m.recorded.pop_front();
  if (m.recorded.empty() || m.recorded.front().first != id)
    return;
  auto commit = std::move(m.recorded.front().second);
  m.recorded.pop_front();
  if (!m.opts.commit_offsets || commit.empty() || !m.consumer)
    return;
  std::vector<RdKafka::TopicPartition*> tps;
  for (const auto& [i, next] : commit)
    tps.push_back(RdKafka::TopicPartition::create(m.splits[i].topic, m.splits[i].partition, next));
  m.consumer->commitAsync(tps);  // for monitoring only: a failure changes nothing here
  RdKafka::TopicPartition::destroy(tps);
}

std::vector<std::string> kafka_source::assigned() const {
  std::vector<std::string> out;
  for (const auto& s : impl_->splits)
    if (!s.done)
      out.push_back(s.name());
  return out;
}

std::function<source_ptr(const task_context&)> kafka_source_factory(kafka_source_options opts) {
  return [opts](const task_context&) -> source_ptr { return std::make_unique<kafka_source>(opts); };
}

}  // namespace sluice
