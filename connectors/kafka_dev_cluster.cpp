#include "connectors/kafka_dev_cluster.hpp"

#include <chrono>
#include <stdexcept>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "connectors/kafka_partitioner.hpp"
#include "connectors/kafka_publisher.hpp"

namespace sluice {

kafka_dev_topic parse_dev_topic(const std::string& text) {
  kafka_dev_topic t;
  auto colon = text.rfind(':');
  t.name = text.substr(0, colon);
  if (colon != std::string::npos) {
    auto n = text.substr(colon + 1);
    if (n.empty() || n.size() > 6 || n.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(n) < 1)
      throw std::invalid_argument("expected NAME:PARTITIONS with PARTITIONS ≥ 1, got '" + text + "'");
    t.partitions = std::stoi(n);
  }
  if (t.name.empty() || t.name.size() > 249 ||
      t.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != std::string::npos)
    throw std::invalid_argument("invalid topic name in '" + text + "' (letters, digits, '.', '_', '-')");
  return t;
}

struct kafka_dev_cluster::impl {
  rd_kafka_t* host = nullptr;  // only hosts the mock brokers' threads
  rd_kafka_mock_cluster_t* cluster = nullptr;
  int brokers = 1;

  ~impl() {
    if (cluster)
      rd_kafka_mock_cluster_destroy(cluster);
    if (host)
      rd_kafka_destroy(host);
  }
};

kafka_dev_cluster::kafka_dev_cluster(int brokers) : impl_(std::make_unique<impl>()) {
  if (brokers < 1)
    throw kafka_error("the development cluster needs at least one broker");
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);  // it has no brokers to talk to
  impl_->host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!impl_->host) {
    rd_kafka_conf_destroy(conf);
    throw kafka_error(std::string{"cannot start the development Kafka cluster: "} + err);
  }
  impl_->cluster = rd_kafka_mock_cluster_new(impl_->host, brokers);
  if (!impl_->cluster)
    throw kafka_error("cannot start the development Kafka cluster (no free loopback ports?)");
  impl_->brokers = brokers;
  bootstrap_ = rd_kafka_mock_cluster_bootstraps(impl_->cluster);
}

kafka_dev_cluster::~kafka_dev_cluster() = default;

void kafka_dev_cluster::create_topic(const kafka_dev_topic& t) {
  auto err = rd_kafka_mock_topic_create(impl_->cluster, t.name.c_str(), t.partitions,
                                        std::min(3, impl_->brokers));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
    throw kafka_error("cannot create topic '" + t.name + "' on the development cluster: " + rd_kafka_err2str(err));
}

void kafka_produce_all(const kafka_connection& c, const std::string& topic,
                       const std::vector<std::pair<std::string, std::string>>& messages) {
  kafka_detail::log_sink logs;
  kafka_detail::publisher pub(c, topic, logs);
  auto partitions = pub.partitions();
  uint64_t seq = 0;
  for (const auto& [k, v] : messages) {
    kafka_sink_log::record_view r;
    r.has_key = !k.empty();
    r.key = k;
    r.value = v;
    r.partition = r.has_key ? kafka_partition_for_key(k, partitions)
                            : static_cast<int32_t>(seq % static_cast<uint64_t>(partitions));
    while (!pub.send(r, kafka_detail::message_headers{nullptr, 0, seq}))
      pub.poll(10);
    ++seq;
  }
  if (!pub.flush(c.timeout_ms))
    throw kafka_error("producing to Kafka topic '" + topic + "' did not finish within " +
                      std::to_string(c.timeout_ms) + " ms");
  if (!pub.failure().empty())
    throw kafka_error(pub.failure());
}

std::vector<kafka_record> kafka_read_all(const kafka_connection& c, const std::string& topic) {
  kafka_detail::log_sink logs;
  auto conf = kafka_detail::make_conf(c, &logs);
  kafka_detail::set(*conf, "group.id", "sluice-read-all");  // never joined: assign() only
  kafka_detail::set(*conf, "enable.auto.commit", "false");
  kafka_detail::set(*conf, "isolation.level", "read_uncommitted");
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer{RdKafka::KafkaConsumer::create(conf.get(), err)};
  if (!consumer)
    throw kafka_error("cannot create a Kafka consumer for " + c.brokers + ": " + err);
  auto partitions = kafka_detail::partition_count(*consumer, c, topic, false, logs);
  std::vector<std::vector<kafka_record>> by_partition(static_cast<std::size_t>(partitions));
  std::vector<int64_t> end(by_partition.size());
  std::vector<RdKafka::TopicPartition*> tps;
  std::size_t open = 0;
  for (int32_t p = 0; p < partitions; ++p) {
    int64_t lo = 0, hi = 0;
    if (auto e = consumer->query_watermark_offsets(topic, p, &lo, &hi, static_cast<int>(c.timeout_ms)); e)
      throw kafka_error("cannot read the offsets of " + topic + "/" + std::to_string(p) + ": " + RdKafka::err2str(e));
    end[static_cast<std::size_t>(p)] = hi;
    if (lo < hi) {
      tps.push_back(RdKafka::TopicPartition::create(topic, p, lo));
      ++open;
    }
  }
  consumer->assign(tps);
  RdKafka::TopicPartition::destroy(tps);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(c.timeout_ms);
  while (open > 0) {
    if (std::chrono::steady_clock::now() > deadline)
      throw kafka_error("cannot read all of Kafka topic '" + topic + "' within " + std::to_string(c.timeout_ms) + " ms");
    std::unique_ptr<RdKafka::Message> m{consumer->consume(100)};
    if (m->err() != RdKafka::ERR_NO_ERROR)
      continue;
    auto p = static_cast<std::size_t>(m->partition());
    if (p >= end.size() || m->offset() >= end[p])
      continue;
    kafka_record r;
    if (m->key())
      r.key = *m->key();
    r.value.assign(static_cast<const char*>(m->payload()), m->len());
    r.topic = topic;
    r.partition = m->partition();
    r.offset = m->offset();
    r.timestamp = m->timestamp().timestamp;
    if (auto* h = m->headers())
      for (const auto& x : h->get_all())
        r.headers.emplace_back(x.key(), x.value() ? std::string(static_cast<const char*>(x.value()), x.value_size())
                                                  : std::string{});
    by_partition[p].push_back(std::move(r));
    if (m->offset() + 1 >= end[p])
      --open;
  }
  consumer->close();
  std::vector<kafka_record> all;
  for (auto& v : by_partition)
    for (auto& r : v)
      all.push_back(std::move(r));
  return all;
}

}  // namespace sluice
