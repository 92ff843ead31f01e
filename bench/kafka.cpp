// bench_kafka: Kafka → operator → Kafka, beside a hand-written librdkafka consume → produce loop
// on the same broker in the same run, and the end-to-end latency from produce to visible output.
//
// Throughput: N messages are produced once to an input topic of an in-process development broker
// (librdkafka's mock; it shares the machine's cores with everything else). The baseline is one
// thread that consumes them in batches (rd_kafka_consume_batch_queue), applies the operator
// (ASCII upper-casing of the value) and produces each to an output topic, then flushes. The job is
// read_kafka (bounded) → map (the same upper-casing) → write_kafka, at-least-once without
// checkpoints (the baseline's guarantee) and exactly-once with a checkpoint every second. Runs
// alternate; each writes a fresh output topic whose message count must be N.
//
// Latency: a continuous job (same shape) runs while a producer sends timestamped messages at a
// fixed rate; a consumer of the output topic records now − send time for each. Exactly-once
// output becomes visible after the checkpoint that covers it completes, so its latency follows
// the checkpoint interval (measured at 100 ms and 1000 ms); at-least-once shows the pipeline alone.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <librdkafka/rdkafka.h>

#include "bench/harness.hpp"
#include "connectors/kafka_job.hpp"
#include "sluice/sluice.hpp"

namespace {

using namespace sluice::bench;

/// fetch.wait.max.ms of every consumer: the development broker answers a fetch only when this
/// expires if no data was there when it arrived (real brokers answer as soon as data comes), so
/// librdkafka's 500 ms default would dominate the latency figures.
int fetch_wait_ms = 5;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count();
}

struct bench_options {
  uint64_t messages = 500'000;
  uint32_t value_bytes = 64;
  int32_t partitions = 16;
  uint32_t parallelism = 2;
  int runs = 3;
  double latency_seconds = 5;
  uint32_t rate = 20'000;
  bool latency = true;
};

void upper(std::string& s) {
  for (auto& c : s)
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_kafka: %s\n", what.c_str());
  std::exit(1);
}

rd_kafka_t* make_client(rd_kafka_type_t type, const std::string& brokers) {
  char err[512];
  rd_kafka_conf_t* c = rd_kafka_conf_new();
  auto set = [&](const char* k, const char* v) {
    if (rd_kafka_conf_set(c, k, v, err, sizeof err) != RD_KAFKA_CONF_OK)
      die(err);
  };
  set("bootstrap.servers", brokers.c_str());
  set("log_level", "3");
  if (type == RD_KAFKA_CONSUMER) {
    set("group.id", "bench-raw");
    set("fetch.wait.max.ms", std::to_string(fetch_wait_ms).c_str());
    set("fetch.error.backoff.ms", std::to_string(fetch_wait_ms).c_str());
    set("enable.auto.commit", "false");
  } else {
    set("enable.idempotence", "true");
    set("queue.buffering.max.messages", "1000000");
  }
  rd_kafka_t* rk = rd_kafka_new(type, c, err, sizeof err);
  if (!rk)
    die(err);
  if (type == RD_KAFKA_CONSUMER)
    rd_kafka_poll_set_consumer(rk);
  return rk;
}

/// Sum of the high watermarks of `topic`: its message count (nothing is deleted here).
uint64_t message_count(const std::string& brokers, const std::string& topic, int32_t partitions) {
  rd_kafka_t* rk = make_client(RD_KAFKA_PRODUCER, brokers);
  uint64_t n = 0;
  for (int32_t p = 0; p < partitions; ++p) {
    int64_t lo = 0, hi = 0;
    if (rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &lo, &hi, 10000))
      die("cannot read the offsets of " + topic);
    n += static_cast<uint64_t>(hi - lo);
  }
  rd_kafka_destroy(rk);
  return n;
}

/// The baseline: consume every input message, upper-case, produce, flush. Returns seconds.
double raw_loop(const std::string& brokers, const bench_options& o, const std::string& out_topic) {
  auto t0 = clock_type::now();
  rd_kafka_t* consumer = make_client(RD_KAFKA_CONSUMER, brokers);
  rd_kafka_t* producer = make_client(RD_KAFKA_PRODUCER, brokers);
  rd_kafka_topic_t* out = rd_kafka_topic_new(producer, out_topic.c_str(), nullptr);
  auto* parts = rd_kafka_topic_partition_list_new(o.partitions);
  for (int32_t p = 0; p < o.partitions; ++p)
    rd_kafka_topic_partition_list_add(parts, "in", p)->offset = 0;  // as the source resolves "earliest"
  rd_kafka_assign(consumer, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  rd_kafka_queue_t* q = rd_kafka_queue_get_consumer(consumer);
  std::vector<rd_kafka_message_t*> msgs(1024);
  std::string value;
  uint64_t done = 0;
  while (done < o.messages) {
    auto n = rd_kafka_consume_batch_queue(q, 100, msgs.data(), msgs.size());
    for (ssize_t i = 0; i < n; ++i) {
      auto* m = msgs[static_cast<std::size_t>(i)];
      if (!m->err) {
        value.assign(static_cast<const char*>(m->payload), m->len);
        upper(value);
        while (rd_kafka_producev(producer, RD_KAFKA_V_RKT(out), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_VALUE(value.data(), value.size()),
                                 RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
          rd_kafka_poll(producer, 10);
        ++done;
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_poll(producer, 0);
  }
  rd_kafka_flush(producer, 60000);
  double s = seconds_since(t0);
  rd_kafka_queue_destroy(q);
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  rd_kafka_topic_destroy(out);
  rd_kafka_destroy(producer);
  return s;
}

using row = std::pair<std::string, std::string>;

/// Builds read_kafka → map → write_kafka on `env`.
void build_job(sluice::environment& env, const sluice::job_options& jo, const std::string& in,
               const std::string& out) {
  auto src = sluice::kafka_source_options_of(jo);
  src.topics = {in};
  src.connection.properties["fetch.wait.max.ms"] = std::to_string(fetch_wait_ms);
  src.connection.properties["fetch.error.backoff.ms"] = std::to_string(fetch_wait_ms);
  auto sink = sluice::kafka_sink_options_of(jo);
  sink.topic = out;
  auto rows = sluice::read_kafka(env, src, "in").map(
      [](const sluice::kafka_record& r) {
        row x{r.key, r.value};
        upper(x.second);
        return x;
      },
      "upper");
  sluice::write_kafka(rows, sink, [](const row& r, sluice::kafka_message& m) {
    m.key = r.first;
    m.value = r.second;
  });
}

sluice::job_options job_opts(const std::string& brokers, const bench_options& o, bool exactly_once,
                             const std::string& ckpt_dir, uint32_t interval_ms) {
  sluice::job_options jo;
  jo.parallelism = o.parallelism;
  jo.kafka_brokers = brokers;
  jo.kafka_delivery = exactly_once ? "exactly-once" : "at-least-once";
  if (exactly_once) {
    jo.checkpoint_dir = ckpt_dir;
    jo.checkpoint_interval_ms = interval_ms;
    jo.from_scratch = true;
  }
  return jo;
}

/// The job over the whole input, bounded. Returns seconds around execute().
double job_run(const std::string& brokers, const bench_options& o, bool exactly_once,
               const std::string& ckpt_dir, const std::string& out_topic) {
  auto jo = job_opts(brokers, o, exactly_once, ckpt_dir, 1000);
  jo.kafka_bounded = true;
  sluice::environment env{jo};
  build_job(env, jo, "in", out_topic);
  auto t0 = clock_type::now();
  auto r = env.execute();
  double s = seconds_since(t0);
  if (!r.ok)
    die("job failed: " + r.error);
  return s;
}

struct latency_figures {
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  std::size_t samples = 0;
};

latency_figures percentiles(std::vector<double> v) {
  latency_figures f;
  f.samples = v.size();
  if (v.empty())
    return f;
  std::sort(v.begin(), v.end());
  f.p50_ms = v[v.size() / 2];
  f.p99_ms = v[std::min(v.size() - 1, v.size() * 99 / 100)];
  f.max_ms = v.back();
  return f;
}

/// Runs a continuous job; produces timestamped messages at o.rate for o.latency_seconds; reads
/// the output and returns the produce → visible latencies.
latency_figures latency_run(sluice::kafka_dev_cluster& cluster, const bench_options& o, bool exactly_once,
                            uint32_t interval_ms, const std::string& ckpt_dir, int tag) {
  const auto brokers = cluster.bootstrap_servers();
  auto in = "lat-in-" + std::to_string(tag), out = "lat-out-" + std::to_string(tag);
  cluster.create_topic({in, o.partitions});
  cluster.create_topic({out, o.partitions});
  auto jo = job_opts(brokers, o, exactly_once, ckpt_dir, interval_ms);
  std::thread job([&] {
    sluice::environment env{jo};
    build_job(env, jo, in, out);
    auto r = env.execute();
    if (!r.ok)
      die("latency job failed: " + r.error);
  });
  std::this_thread::sleep_for(std::chrono::seconds(2));  // start-up: actors, consumers assigned
  std::vector<double> latencies;
  std::atomic<bool> producing{true};
  std::atomic<uint64_t> sent{0};
  uint64_t received = 0;
  // A warm-up second is produced first and not measured: connections and fetch sessions start.
  std::atomic<int64_t> measured_from{INT64_MAX};
  std::thread reader([&] {
    rd_kafka_t* c = make_client(RD_KAFKA_CONSUMER, brokers);
    auto* parts = rd_kafka_topic_partition_list_new(o.partitions);
    for (int32_t p = 0; p < o.partitions; ++p)
      rd_kafka_topic_partition_list_add(parts, out.c_str(), p)->offset = 0;
    rd_kafka_assign(c, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    auto deadline_after_stop = clock_type::now() + std::chrono::hours(1);
    while (producing || (received < sent && clock_type::now() < deadline_after_stop)) {
      if (!producing && deadline_after_stop > clock_type::now() + std::chrono::seconds(10))
        deadline_after_stop = clock_type::now() + std::chrono::milliseconds(interval_ms * 3 + 5000);
      rd_kafka_message_t* m = rd_kafka_consumer_poll(c, 50);
      if (!m)
        continue;
      if (!m->err)
      {
        auto sent_ns = std::stoll(std::string(static_cast<const char*>(m->payload), m->len));
        if (sent_ns >= measured_from.load())
          latencies.push_back(static_cast<double>(now_ns() - sent_ns) / 1e6);
        ++received;
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
  });
  rd_kafka_t* p = make_client(RD_KAFKA_PRODUCER, brokers);
  auto start = clock_type::now();
  auto total = static_cast<uint64_t>(o.rate * (o.latency_seconds + 1));
  for (uint64_t i = 0; i < total; ++i) {
    if (i == o.rate)
      measured_from = now_ns();
    auto due = start + std::chrono::nanoseconds(static_cast<int64_t>(1e9 * static_cast<double>(i) / o.rate));
    std::this_thread::sleep_until(due);
    auto v = std::to_string(now_ns());
    auto k = "k" + std::to_string(i % 1000);
    while (rd_kafka_producev(p, RD_KAFKA_V_TOPIC(in.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_KEY(k.data(), k.size()), RD_KAFKA_V_VALUE(v.data(), v.size()),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
      rd_kafka_poll(p, 1);
    rd_kafka_poll(p, 0);
    ++sent;
  }
  rd_kafka_flush(p, 10000);
  rd_kafka_destroy(p);
  producing = false;
  reader.join();
  ::raise(SIGINT);  // the job's stop signal: sources finish, the final checkpoint publishes
  job.join();
  return percentiles(latencies);
}

}  // namespace

int main(int argc, char** argv) {
  bench_options o;
  CLI::App app{"Kafka → operator → Kafka throughput beside a raw librdkafka loop, and end-to-end latency",
               "bench_kafka"};
  app.add_option("--messages", o.messages, "Input messages")->capture_default_str();
  app.add_option("--value-bytes", o.value_bytes, "Bytes per value")->capture_default_str();
  app.add_option("--partitions", o.partitions, "Partitions per topic")->capture_default_str();
  app.add_option("-p,--parallelism", o.parallelism, "Job parallelism")->capture_default_str();
  app.add_option("--runs", o.runs, "Alternating rounds")->capture_default_str();
  app.add_option("--latency-seconds", o.latency_seconds, "Producing time per latency run")->capture_default_str();
  app.add_option("--rate", o.rate, "Messages/s produced in latency runs")->capture_default_str();
  app.add_option("--fetch-wait-ms", fetch_wait_ms, "fetch.wait.max.ms of every consumer")->capture_default_str();
  bool no_latency = false;
  app.add_flag("--no-latency", no_latency, "Skip the latency runs");
  CLI11_PARSE(app, argc, argv);
  o.latency = !no_latency;

  std::printf("bench_kafka: %llu messages of %u bytes, %d partitions, parallelism %u, load %s\n",
              static_cast<unsigned long long>(o.messages), o.value_bytes, o.partitions, o.parallelism,
              load_average().c_str());
  auto tmp = std::filesystem::temp_directory_path() / ("bench-kafka-" + std::to_string(::getpid()));
  sluice::kafka_dev_cluster cluster{1};
  const auto brokers = cluster.bootstrap_servers();
  cluster.create_topic({"in", o.partitions});
  {
    std::vector<std::pair<std::string, std::string>> msgs;
    msgs.reserve(o.messages);
    for (uint64_t i = 0; i < o.messages; ++i) {
      auto v = "message " + std::to_string(i) + " ";
      v.resize(o.value_bytes, 'x');
      msgs.emplace_back("k" + std::to_string(i % 1000), std::move(v));
    }
    sluice::kafka_connection c;
    c.brokers = brokers;
    c.timeout_ms = 60000;
    sluice::kafka_produce_all(c, "in", msgs);
  }
  std::vector<double> raw, alo, eos;
  for (int run = 0; run < o.runs; ++run) {
    auto tag = std::to_string(run);
    for (const char* t : {"raw", "alo", "eos"})
      cluster.create_topic({std::string{"out-"} + t + "-" + tag, o.partitions});
    raw.push_back(raw_loop(brokers, o, "out-raw-" + tag));
    alo.push_back(job_run(brokers, o, false, "", "out-alo-" + tag));
    eos.push_back(job_run(brokers, o, true, (tmp / ("ck-" + tag)).string(), "out-eos-" + tag));
    for (const char* t : {"raw", "alo", "eos"}) {
      auto n = message_count(brokers, std::string{"out-"} + t + "-" + tag, o.partitions);
      if (n != o.messages)
        die(std::string{t} + " run " + tag + " wrote " + std::to_string(n) + " messages, expected " +
            std::to_string(o.messages));
    }
    std::printf("  round %d: raw %.0f msg/s, job at-least-once %.0f msg/s (%.2fx), job exactly-once %.0f msg/s (%.2fx)\n",
                run + 1, o.messages / raw.back(), o.messages / alo.back(), raw.back() / alo.back(),
                o.messages / eos.back(), raw.back() / eos.back());
  }
  auto best = [](std::vector<double> v) { return *std::min_element(v.begin(), v.end()); };
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::vector<double> alo_ratio, eos_ratio;  // per round: the runs of a round share conditions
  for (std::size_t i = 0; i < raw.size(); ++i) {
    alo_ratio.push_back(raw[i] / alo[i]);
    eos_ratio.push_back(raw[i] / eos[i]);
  }
  std::printf("throughput, messages/s, median (best) of %d rounds; ratio to raw: median of the rounds' ratios\n",
              o.runs);
  std::printf("  raw librdkafka loop            %9.0f (%9.0f)\n", o.messages / median(raw), o.messages / best(raw));
  std::printf("  job at-least-once, no ckpt     %9.0f (%9.0f)  %.2fx of raw\n", o.messages / median(alo),
              o.messages / best(alo), median(alo_ratio));
  std::printf("  job exactly-once, ckpt 1000 ms %9.0f (%9.0f)  %.2fx of raw\n", o.messages / median(eos),
              o.messages / best(eos), median(eos_ratio));
  if (o.latency) {
    std::printf("latency produce → visible output at %u msg/s for %.0f s (p50 / p99 / max, ms):\n", o.rate,
                o.latency_seconds);
    struct plan_t {
      const char* name;
      bool eo;
      uint32_t interval;
    };
    int tag = 0;
    for (auto pl : {plan_t{"at-least-once, no ckpt    ", false, 100}, plan_t{"exactly-once, ckpt 100 ms  ", true, 100},
                    plan_t{"exactly-once, ckpt 1000 ms ", true, 1000}}) {
      auto f = latency_run(cluster, o, pl.eo, pl.interval, (tmp / ("lat-" + std::to_string(tag))).string(), tag);
      ++tag;
      std::printf("  %s %8.1f / %8.1f / %8.1f   (%zu samples)\n", pl.name, f.p50_ms, f.p99_ms, f.max_ms, f.samples);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(tmp, ec);
  return 0;
}
