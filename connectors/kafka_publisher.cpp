#include "connectors/kafka_publisher.hpp"

#include <charconv>

#include "checkpoints/lease.hpp"

namespace sluice::kafka_detail {

publisher::publisher(const kafka_connection& c, const std::string& topic, log_sink& logs, bool auto_create)
    : topic_(topic) {
  auto conf = make_conf(c, &logs);
  set(*conf, "enable.idempotence", "true");
  set(*conf, "queue.buffering.max.messages", "1000000");
  set(*conf, "allow.auto.create.topics", auto_create ? "true" : "false");
  std::string err;
  if (conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(this), err) != RdKafka::Conf::CONF_OK)
    throw kafka_error("cannot install the Kafka delivery callback: " + err);
  // The connection's properties win over the defaults above (set again after them).
  for (const auto& [k, v] : c.properties)
    set(*conf, k, v);
  producer_.reset(RdKafka::Producer::create(conf.get(), err));
  if (!producer_)
    throw kafka_error("cannot create a Kafka producer for " + c.brokers + ": " + err);
  partitions_ = partition_count(*producer_, c, topic, auto_create, logs);
  rkt_ = rd_kafka_topic_new(producer_->c_ptr(), topic.c_str(), nullptr);
  if (!rkt_)
    throw kafka_error("cannot use Kafka topic '" + topic + "': " + rd_kafka_err2str(rd_kafka_last_error()));
}

publisher::~publisher() {
  if (rkt_)
    rd_kafka_topic_destroy(rkt_);
}

bool publisher::send(const kafka_sink_log::record_view& r, const message_headers& h) {
  char epoch[24], seq[24];
  auto epoch_len = static_cast<ssize_t>(std::to_chars(epoch, epoch + sizeof epoch, h.epoch).ptr - epoch);
  auto seq_len = static_cast<ssize_t>(std::to_chars(seq, seq + sizeof seq, h.seq).ptr - seq);
  rd_kafka_headers_t* hdrs = nullptr;
  if (h.writer) {
    hdrs = rd_kafka_headers_new(3);
    rd_kafka_header_add(hdrs, kafka_header_writer, -1, h.writer->data(), static_cast<ssize_t>(h.writer->size()));
    if (h.epoch > 0)
      rd_kafka_header_add(hdrs, kafka_header_epoch, -1, epoch, epoch_len);
    rd_kafka_header_add(hdrs, kafka_header_seq, -1, seq, seq_len);
  }
  checkpoints::check_lease("publish to Kafka");
  auto err = rd_kafka_producev(
      producer_->c_ptr(), RD_KAFKA_V_RKT(rkt_), RD_KAFKA_V_PARTITION(r.partition),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_KEY(r.has_key ? r.key.data() : nullptr, r.has_key ? r.key.size() : 0),
      RD_KAFKA_V_VALUE(const_cast<char*>(r.value.data()), r.value.size()),
      RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(h.seq))),
      RD_KAFKA_V_END);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
    return true;  // the headers belong to the message now
  if (hdrs)
    rd_kafka_headers_destroy(hdrs);
  if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
    return false;
  throw kafka_error("cannot publish to Kafka topic '" + topic_ + "' partition " +
                    std::to_string(r.partition) + ": " + rd_kafka_err2str(err));
}

void publisher::poll(int wait_ms) { producer_->poll(wait_ms); }

bool publisher::flush(uint32_t timeout_ms) {
  return producer_->flush(static_cast<int>(timeout_ms)) == RdKafka::ERR_NO_ERROR;
}

int publisher::outstanding() const { return producer_->outq_len(); }

void publisher::purge() {
  producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_NON_BLOCKING);
}

void publisher::dr_cb(RdKafka::Message& m) {
  if (m.err() != RdKafka::ERR_NO_ERROR) {
    if (failure_.empty() && m.err() != RdKafka::ERR__PURGE_QUEUE)
      failure_ = "delivery to Kafka topic '" + topic_ + "' partition " + std::to_string(m.partition()) +
                 " failed: " + m.errstr();
    return;
  }
  if (on_delivered_)
    on_delivered_(static_cast<uint64_t>(reinterpret_cast<uintptr_t>(m.msg_opaque())), m.partition(),
                  m.offset());
}

}  // namespace sluice::kafka_detail
