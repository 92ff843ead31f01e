#include "connectors/kafka_source.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <librdkafka/rdkafka.h>
#include <nlohmann/json.hpp>

#include "connectors/kafka_detail.hpp"

namespace sluice {

namespace {

constexpr int64_t offset_beginning = RD_KAFKA_OFFSET_BEGINNING;  // -2: "from the start"

/// One split: a partition this subtask reads.
struct split {
  std::string topic;
  std::size_t topic_index = 0;
  int32_t partition = 0;
  int64_t next = offset_beginning;  ///< offset of the next record to emit (or offset_beginning)
  int64_t end = -1;                 ///< bounded: stop before this offset; -1 unbounded
  bool seeking = false;             ///< timestamp start: skip records older than the timestamp
  bool done = false;                ///< bounded and reached `end`
};

std::string tp_name(const split& s) { return s.topic + "/" + std::to_string(s.partition); }

}  // namespace

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

struct kafka_source::impl {
  kafka_source_options opts;
  task_context ctx;
  kafka_detail::log_sink logs;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
  rd_kafka_queue_t* queue = nullptr;
  std::vector<split> splits;
  std::vector<std::vector<int>> slot;  // [topic index][partition] -> index into splits, or -1
  std::vector<int32_t> known;          // partitions per topic, as far as this reader knows
  bool started = false;
  std::unique_ptr<nlohmann::json> restored;
  std::deque<std::pair<uint64_t, std::vector<std::pair<std::size_t, int64_t>>>> recorded;
  std::vector<rd_kafka_message_t*> msgs;

  // Partition discovery (continuous mode) on a background thread.
  std::thread discoverer;
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::unique_ptr<std::atomic<int32_t>[]> discovered;

  ~impl() {
    {
      std::lock_guard<std::mutex> guard{mutex};
      stopping = true;
    }
    wake.notify_all();
    if (discoverer.joinable())
      discoverer.join();
    if (queue)
      rd_kafka_queue_destroy(queue);
    if (consumer)
      consumer->close();
  }

  void create_consumer() {
    auto conf = kafka_detail::make_conf(opts.connection, &logs);
    auto group = opts.group_id.empty() ? "sluice-" + ctx.uid : opts.group_id;
    kafka_detail::set(*conf, "group.id", group);
    kafka_detail::set(*conf, "enable.auto.commit", "false");
    kafka_detail::set(*conf, "enable.auto.offset.store", "false");
    kafka_detail::set(*conf, "enable.partition.eof", opts.bounded ? "true" : "false");
    kafka_detail::set(*conf, "auto.offset.reset", "error");  // deleted records: fail, not skip
    kafka_detail::set(*conf, "allow.auto.create.topics", "false");
    std::string err;
    consumer.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
    if (!consumer)
      throw kafka_error("cannot create a Kafka consumer for " + opts.connection.brokers + ": " + err);
    queue = rd_kafka_queue_get_consumer(consumer->c_ptr());
  }

  /// Adds the splits of partitions [from, to) of topic `t` that this subtask owns.
  std::vector<std::size_t> add_partitions(std::size_t t, int32_t from, int32_t to) {
    std::vector<std::size_t> added;
    slot[t].resize(static_cast<std::size_t>(to), -1);
    for (int32_t p = from; p < to; ++p) {
      if (kafka_split_owner(t, p, ctx.parallelism) != ctx.subtask)
        continue;
      split s;
      s.topic = opts.topics[t];
      s.topic_index = t;
      s.partition = p;
      slot[t][static_cast<std::size_t>(p)] = static_cast<int>(splits.size());
      added.push_back(splits.size());
      splits.push_back(std::move(s));
    }
    known[t] = to;
    return added;
  }

  split* find(const char* topic, int32_t partition) {
    for (std::size_t t = 0; t < opts.topics.size(); ++t)
      if (opts.topics[t] == topic) {
        if (partition < 0 || static_cast<std::size_t>(partition) >= slot[t].size())
          return nullptr;
        auto i = slot[t][static_cast<std::size_t>(partition)];
        return i < 0 ? nullptr : &splits[static_cast<std::size_t>(i)];
      }
    return nullptr;
  }

  void watermarks(const split& s, int64_t& lo, int64_t& hi) {
    auto err = consumer->query_watermark_offsets(s.topic, s.partition, &lo, &hi,
                                                 static_cast<int>(opts.connection.timeout_ms));
    if (err != RdKafka::ERR_NO_ERROR)
      throw kafka_error("cannot read the offsets of Kafka partition " + tp_name(s) + ": " +
                        RdKafka::err2str(err) + " (" + kafka_detail::unreachable(opts.connection, logs) + ")");
  }

  void ensure_started();
  void resolve_start();
  void resolve_restored();
  void assign(const std::vector<std::size_t>& which, bool incremental);
  void start_discovery();
  void take_discovered();
  bool all_done() const {
    for (const auto& s : splits)
      if (!s.done)
        return false;
    return true;
  }
  void mark_done(split& s) {
    s.done = true;
    std::vector<RdKafka::TopicPartition*> tp{RdKafka::TopicPartition::create(s.topic, s.partition)};
    consumer->pause(tp);
    RdKafka::TopicPartition::destroy(tp);
  }
  /// Handles one consumed message; appends a record to `out` when it is one to emit.
  void handle(rd_kafka_message_t* m, std::vector<kafka_record>& out, uint64_t& bytes);
  void handle_error(rd_kafka_message_t* m);
};

void kafka_source::impl::resolve_start() {
  std::vector<int64_t> lo(splits.size()), hi(splits.size());
  for (std::size_t i = 0; i < splits.size(); ++i)
    watermarks(splits[i], lo[i], hi[i]);
  std::vector<RdKafka::TopicPartition*> tps;
  for (const auto& s : splits) {
    auto* tp = RdKafka::TopicPartition::create(s.topic, s.partition);
    if (opts.start == kafka_start::timestamp)
      tp->set_offset(opts.start_timestamp_ms);
    tps.push_back(tp);
  }
  auto timeout = static_cast<int>(opts.connection.timeout_ms);
  RdKafka::ErrorCode err = RdKafka::ERR_NO_ERROR;
  if (!tps.empty() && opts.start == kafka_start::committed)
    err = consumer->committed(tps, timeout);
  else if (!tps.empty() && opts.start == kafka_start::timestamp)
    err = consumer->offsetsForTimes(tps, timeout);
  if (err != RdKafka::ERR_NO_ERROR) {
    RdKafka::TopicPartition::destroy(tps);
    throw kafka_error(std::string{"cannot look up the "} +
                      (opts.start == kafka_start::committed ? "committed offsets" : "offsets for the start timestamp") +
                      " on " + opts.connection.brokers + ": " + RdKafka::err2str(err));
  }
  for (std::size_t i = 0; i < splits.size(); ++i) {
    auto& s = splits[i];
    int64_t found = tps[i]->offset();
    switch (opts.start) {
      case kafka_start::earliest: s.next = lo[i]; break;
      case kafka_start::latest: s.next = hi[i]; break;
      case kafka_start::committed: s.next = found >= 0 ? found : lo[i]; break;
      case kafka_start::timestamp:
        // Brokers answer the first offset with timestamp ≥ T. Where they cannot (-1: no such
        // record, or a broker without the time index such as the development broker), read from
        // the earliest record and skip older ones on the client: the same result either way.
        s.next = found >= 0 ? found : lo[i];
        s.seeking = true;
        break;
    }
    s.next = std::clamp(s.next, lo[i], hi[i]);
    if (opts.bounded) {
      s.end = hi[i];
      s.done = s.next >= s.end;
    }
  }
  RdKafka::TopicPartition::destroy(tps);
}

void kafka_source::impl::resolve_restored() {
  const auto& j = *restored;
  const auto& offsets = j.at("offsets");
  for (auto& s : splits) {
    auto t = offsets.find(s.topic);
    auto key = std::to_string(s.partition);
    if (t != offsets.end() && t->contains(key)) {
      s.next = t->at(key).get<int64_t>();
      if (auto e = j.find("ends"); e != j.end() && e->contains(s.topic) && e->at(s.topic).contains(key))
        s.end = e->at(s.topic).at(key).get<int64_t>();
      if (auto k = j.find("seeking"); k != j.end() && k->contains(s.topic))
        for (const auto& p : k->at(s.topic))
          s.seeking = s.seeking || p.get<int32_t>() == s.partition;
    } else {
      // A partition added after the checkpoint: all its records are new.
      int64_t lo = 0, hi = 0;
      watermarks(s, lo, hi);
      s.next = lo;
      if (opts.bounded)
        s.end = hi;
    }
    if (s.end >= 0 && s.next >= s.end)
      s.done = true;
  }
}

void kafka_source::impl::assign(const std::vector<std::size_t>& which, bool incremental) {
  std::vector<RdKafka::TopicPartition*> tps;
  for (auto i : which)
    if (!splits[i].done)
      tps.push_back(RdKafka::TopicPartition::create(splits[i].topic, splits[i].partition, splits[i].next));
  std::string problem;
  if (incremental) {
    if (auto* e = consumer->incremental_assign(tps)) {
      problem = e->str();
      delete e;
    }
  } else if (auto err = consumer->assign(tps); err != RdKafka::ERR_NO_ERROR) {
    problem = RdKafka::err2str(err);
  }
  RdKafka::TopicPartition::destroy(tps);
  if (!problem.empty())
    throw kafka_error("cannot assign Kafka partitions: " + problem);
}

void kafka_source::impl::start_discovery() {
  discovered.reset(new std::atomic<int32_t>[opts.topics.size()]);
  for (std::size_t t = 0; t < opts.topics.size(); ++t)
    discovered[t].store(known[t]);
  discoverer = std::thread([this] {
    std::unique_lock<std::mutex> lock{mutex};
    while (!wake.wait_for(lock, std::chrono::milliseconds(opts.discovery_ms), [this] { return stopping; })) {
      lock.unlock();
      for (std::size_t t = 0; t < opts.topics.size(); ++t) {
        try {
          auto n = opts.list_partitions
                       ? opts.list_partitions(opts.topics[t])
                       : kafka_detail::partition_count(*consumer, opts.connection, opts.topics[t], false, logs);
          if (n > discovered[t].load())
            discovered[t].store(n);
        } catch (const std::exception&) {
          // Unreachable for now: the next round tries again; consumption reports lasting trouble.
        }
      }
      lock.lock();
    }
  });
}

void kafka_source::impl::take_discovered() {
  if (!discovered)
    return;
  std::vector<std::size_t> added;
  for (std::size_t t = 0; t < opts.topics.size(); ++t) {
    auto n = discovered[t].load();
    if (n > known[t]) {
      auto more = add_partitions(t, known[t], n);
      added.insert(added.end(), more.begin(), more.end());
    }
  }
  if (!added.empty())
    assign(added, true);  // from their beginning (offset_beginning), without blocking
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

void kafka_source::impl::ensure_started() {
  // After restore_state (which comes after open), so that the start knows about the checkpoint.
  if (started)
    return;
  started = true;
  if (restored)
    resolve_restored();
  else
    resolve_start();
  std::vector<std::size_t> all(splits.size());
  for (std::size_t i = 0; i < all.size(); ++i)
    all[i] = i;
  assign(all, false);
  if (!opts.bounded && opts.discovery_ms > 0)
    start_discovery();
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
      out.push_back(tp_name(s));
  return out;
}

std::function<source_ptr(const task_context&)> kafka_source_factory(kafka_source_options opts) {
  return [opts](const task_context&) -> source_ptr { return std::make_unique<kafka_source>(opts); };
}

}  // namespace sluice
