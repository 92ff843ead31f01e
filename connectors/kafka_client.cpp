#include "connectors/kafka_client.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "connectors/kafka_detail.hpp"

namespace sluice {

namespace kafka_detail {

namespace {

bool debug_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("SLUICE_KAFKA_DEBUG");
    return v && *v && std::string{v} != "0";
  }();
  return on;
}

}  // namespace

void log_sink::event_cb(RdKafka::Event& e) {
  if (debug_enabled())
    std::fprintf(stderr, "librdkafka: %s %s\n", RdKafka::err2str(e.err()).c_str(), e.str().c_str());
  bool error = e.type() == RdKafka::Event::EVENT_ERROR ||
               (e.type() == RdKafka::Event::EVENT_LOG && e.severity() <= RdKafka::Event::EVENT_SEVERITY_ERROR);
  if (!error || e.str().empty())
    return;
  std::lock_guard<std::mutex> guard{mutex_};
  last_error_ = e.str();
}

std::string log_sink::last_error() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return last_error_;
}

void set(RdKafka::Conf& conf, const std::string& name, const std::string& value) {
  std::string err;
  if (conf.set(name, value, err) != RdKafka::Conf::CONF_OK)
    throw kafka_error("Kafka property " + name + "=" + value + " rejected: " + err);
}

std::unique_ptr<RdKafka::Conf> make_conf(const kafka_connection& c, log_sink* logs) {
  std::unique_ptr<RdKafka::Conf> conf{RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL)};
  if (c.brokers.empty())
    throw kafka_error("no Kafka brokers given (bootstrap.servers is empty)");
  set(*conf, "bootstrap.servers", c.brokers);
  set(*conf, "client.id", "sluice");
  if (logs) {
    std::string err;
    if (conf->set("event_cb", static_cast<RdKafka::EventCb*>(logs), err) != RdKafka::Conf::CONF_OK)
      throw kafka_error("cannot install the Kafka log callback: " + err);
  }
  for (const auto& [k, v] : c.properties)
    set(*conf, k, v);
  return conf;
}

std::string unreachable(const kafka_connection& c, const log_sink& logs) {
  auto msg = "cannot reach Kafka brokers at " + c.brokers + " within " +
             std::to_string(c.timeout_ms) + " ms";
  auto last = logs.last_error();
  if (!last.empty())
    msg += " (last error: " + last + ")";
  return msg;
}

namespace {

/// Partitions of `topic` in `md`: > 0 when it exists and is usable, 0 when missing.
int32_t find_partitions(const RdKafka::Metadata& md, const std::string& topic) {
  for (const auto* t : *md.topics())
    if (t->topic() == topic && t->err() == RdKafka::ERR_NO_ERROR)
      return static_cast<int32_t>(t->partitions()->size());
  return 0;
}

}  // namespace

int32_t partition_count(RdKafka::Handle& h, const kafka_connection& c, const std::string& topic,
                        bool auto_create, const log_sink& logs) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + std::chrono::milliseconds(c.timeout_ms);
  RdKafka::Metadata* raw = nullptr;
  auto err = h.metadata(true, nullptr, &raw, static_cast<int>(c.timeout_ms));
  std::unique_ptr<RdKafka::Metadata> md{raw};
  if (err != RdKafka::ERR_NO_ERROR)
    throw kafka_error(unreachable(c, logs));
  if (auto n = find_partitions(*md, topic); n > 0)
    return n;
  if (!auto_create)
    throw kafka_error("Kafka topic '" + topic + "' does not exist on " + c.brokers);
  // A metadata request naming the topic lets the broker auto-create it; a new topic may take a
  // moment to get leaders, so ask again until it has partitions.
  std::string e;
  std::unique_ptr<RdKafka::Topic> t{RdKafka::Topic::create(&h, topic, nullptr, e)};
  if (!t)
    throw kafka_error("invalid Kafka topic name '" + topic + "': " + e);
  while (clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    raw = nullptr;
    err = h.metadata(false, t.get(), &raw, static_cast<int>(std::max<int64_t>(1, left.count())));
    md.reset(raw);
    if (err == RdKafka::ERR_NO_ERROR)
      if (auto n = find_partitions(*md, topic); n > 0)
        return n;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw kafka_error("Kafka topic '" + topic + "' does not exist on " + c.brokers +
                    " and the brokers did not create it (auto.create.topics.enable off?)");
}

}  // namespace kafka_detail

int32_t kafka_partition_count(const kafka_connection& c, const std::string& topic, bool auto_create) {
  kafka_detail::log_sink logs;
  auto conf = kafka_detail::make_conf(c, &logs);
  kafka_detail::set(*conf, "allow.auto.create.topics", auto_create ? "true" : "false");
  std::string err;
  std::unique_ptr<RdKafka::Producer> p{RdKafka::Producer::create(conf.get(), err)};
  if (!p)
    throw kafka_error("cannot create a Kafka client for " + c.brokers + ": " + err);
  return kafka_detail::partition_count(*p, c, topic, auto_create, logs);
}

}  // namespace sluice
