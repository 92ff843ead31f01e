// Structured Streaming's Kafka word count (Spark's StructuredKafkaWordCount):
//   lines of a Kafka topic → words → groupBy(word).count() → console, part files or a Kafka topic
// with an output mode (complete or update) and a processing-time trigger (--trigger-ms).
//
//   kafka_wordcount --kafka-brokers HOST:PORT --kafka-input lines --trigger-ms 1000
//   kafka_wordcount --kafka-brokers HOST:PORT --kafka-input lines --kafka-output counts
//                   --checkpoint-dir /tmp/wc --output-mode update --console
//
// Without --kafka-brokers it runs on an embedded development broker: the input topic is filled
// with the lines of --input (or a few built-in lines) and read bounded; with --kafka-output the
// most frequent words of the output topic are printed at the end. Kafka output messages are
// key = word, value = count (decimal); in complete mode every trigger writes the whole table, in update mode only changed rows.
#include <algorithm>
#include <iostream>
#include <map>

#include "connectors/kafka_job.hpp"
#include "examples/kafka_demo.hpp"
#include "examples/words.hpp"
#include "sluice/sluice.hpp"

namespace {

using row = std::pair<std::string, int64_t>;

const std::vector<std::string> demo_lines = {
    "the quick brown fox jumps over the lazy dog",
    "the dog barks",
    "a fox is quick and a dog is lazy",
    "streams of words flow through kafka",
    "words words words",
};

/// Both sinks of one stream (Kafka and console): the runtime has no fan-out yet, so the echo is
/// a sink that forwards every call to two sinks.
class tee_sink final : public sluice::operator_logic {
 public:
  tee_sink(sluice::operator_ptr a, sluice::operator_ptr b) : a_(std::move(a)), b_(std::move(b)) {}
  void open(const sluice::task_context& c) override {
    a_->open(c);
    b_->open(c);
  }
  void process(sluice::batch_base& in, sluice::emitter& out) override {
    b_->process(in, out);  // the console sink only reads the batch
    a_->process(in, out);
  }
  std::chrono::milliseconds timer_period() const override { return a_->timer_period(); }
  void on_timer(sluice::emitter& out) override { a_->on_timer(out); }
  void on_epoch_end(uint64_t e, sluice::emitter& out) override {
    a_->on_epoch_end(e, out);
    b_->on_epoch_end(e, out);
  }
  void finish(sluice::emitter& out) override {
    a_->finish(out);
    b_->finish(out);
  }
  void snapshot_state(sluice::operator_snapshot& s) override { a_->snapshot_state(s); }
  void restore_state(const sluice::operator_restore& r) override { a_->restore_state(r); }
  void checkpoint_complete(uint64_t id, bool final) override { a_->checkpoint_complete(id, final); }

 private:
  sluice::operator_ptr a_, b_;
};

/// The embedded demo's ending: the latest count of each word in the output topic, top `n`.
void print_top(const std::vector<sluice::kafka_record>& messages, const std::string& topic, std::size_t n) {
  std::map<std::string, int64_t> latest;  // a word's messages share a partition, in count order
  for (const auto& m : messages)
    latest[m.key] = std::stoll(m.value);
  std::vector<row> rows(latest.begin(), latest.end());
  std::sort(rows.begin(), rows.end(), [](const row& a, const row& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  rows.resize(std::min(n, rows.size()));
  std::cout << "Topic '" << topic << "': " << messages.size() << " messages, " << latest.size()
            << " words; the " << rows.size() << " most frequent:\n";
  for (const auto& [word, count] : rows)
    std::cout << "  " << count << '\t' << word << '\n';
}

}  // namespace

int main(int argc, char** argv) {
  sluice::cli cli{"kafka_wordcount",
                  "Counts words of the lines of Kafka topic --kafka-input (default: lines), as "
                  "Spark's StructuredKafkaWordCount."};
  bool console = false;
  cli.app().add_flag("--console", console, "With --kafka-output: also print each trigger's rows")
      ->group("Word count");
  auto& o = cli.options();
  o.kafka_input = "lines";
  if (auto rc = cli.parse(argc, argv))
    return *rc;
  try {
    auto mode = *sluice::parse_output_mode(o.output_mode);
    if (mode == sluice::output_mode::append)
      throw sluice::job_error("--output-mode append needs event-time windows; use complete or update");
    if (console && o.kafka_output.empty())
      throw sluice::job_error("--console echoes --kafka-output; without it the counts go to the console anyway");
    sluice::examples::kafka_demo demo{o, cli.name(), demo_lines, [](const std::string&) { return std::string{}; }};
    sluice::environment env{o};
    sluice::aggregate_options agg;
    agg.mode = mode;
    agg.trigger = std::chrono::milliseconds(o.trigger_ms);
    auto counts = sluice::read_kafka(env, sluice::kafka_source_options_of(o), "lines")
                      .flat_map<std::string>(
                          [](const sluice::kafka_record& r, sluice::collector<std::string>& out) {
                            sluice::examples::for_each_word(r.value, [&](std::string_view w) { out.emplace(w); });
                          },
                          "split")
                      .key_by([](const std::string& w) -> const std::string& { return w; })
                      .count(agg, "count");
    auto encode = [](const row& r, sluice::kafka_message& m) {
      m.key = r.first;
      sluice::format_field(m.value, r.second);
    };
    if (!o.kafka_output.empty() && console) {
      auto sink_opts = sluice::kafka_sink_options_of(o);
      sluice::check_kafka_topic(sink_opts.connection, sink_opts.topic, sink_opts.auto_create_topic);
      auto kafka = sluice::kafka_sink_factory<row>(sink_opts, encode);
      auto out_mode = counts.output();
      counts.to([kafka, out_mode](const sluice::task_context& c) -> sluice::operator_ptr {
              return std::make_unique<tee_sink>(kafka(c), std::make_unique<sluice::console_sink<row>>(out_mode));
            }, "kafka_sink")
          .uid("sink")
          .parallelism(1);
    } else if (!o.kafka_output.empty()) {
      sluice::write_kafka(counts, sluice::kafka_sink_options_of(o), encode, "sink");
    } else if (!o.output.empty()) {
      counts.to_files(o.output).uid("sink");
    } else {
      counts.to_console().uid("sink");
    }
    auto result = env.execute();
    if (!result.ok)
      return sluice::report_error(cli.name(), result.error);
    if (result.served_as_worker)  // results and metrics are the coordinator's
      return 0;
    if (demo.embedded() && !o.kafka_output.empty())
      print_top(sluice::kafka_read_all(sluice::kafka_connection_of(o), o.kafka_output), o.kafka_output, 20);
    return 0;
  } catch (const std::exception& e) {
    return sluice::report_error(cli.name(), e.what());
  }
}
