// What the ML examples share: CSV rows to examples (features, then the label in the last column
// when the model trains on labels), the flags of models, and the output format.
#pragma once

#include <algorithm>
#include <charconv>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/kafka_job.hpp"
#include "examples/kafka_demo.hpp"
#include "examples/parse_number.hpp"
#include "sluice/ml.hpp"
#include "sluice/sluice.hpp"

namespace sluice::examples {

/// Parses "f1,f2,...[,label]" into an example whose id is its line; rejects malformed rows.
inline parsed<ml::example> parse_csv_example(const std::string& line, bool labeled,
                                             std::size_t expected_features) {
  ml::example x;
  x.id = line;
  std::string_view rest = line;
  std::vector<double> values;  // sized once: growing it field by field reallocates ~log2(d) times
  values.reserve(static_cast<std::size_t>(std::count(rest.begin(), rest.end(), ',')) + 1);
  if (!rest.empty() && rest.back() == '\r')
    rest.remove_suffix(1);
  if (rest.empty())
    return reject("empty line");
  // One pass: spaces, a number, spaces, then a comma or the end (a field of only spaces, or
  // with anything after its number, is not a number).
  const char* p = rest.data();
  const char* const end = p + rest.size();
  while (true) {
    while (p != end && *p == ' ')
      ++p;
    double v = 0;
    auto [next, ec] = parse_double(p, end, v);
    p = next;
    while (ec == std::errc{} && p != end && *p == ' ')
      ++p;
    if (ec != std::errc{} || (p != end && *p != ','))
      return reject("field " + std::to_string(values.size() + 1) + " is not a number");
    if (!std::isfinite(v))
      return reject("field " + std::to_string(values.size() + 1) + " is not finite");
    values.push_back(v);
    if (p == end)
      break;
    ++p;  // the comma
  }
  if (labeled) {
    if (values.size() < 2)
      return reject("expected features and a label");
    x.label = values.back();
    values.pop_back();
  }
  if (expected_features > 0 && values.size() != expected_features)
    return reject("expected " + std::to_string(expected_features) + " features, got " +
                  std::to_string(values.size()));
  x.features = std::move(values);
  return accept(std::move(x));
}

/// The training lines: --input / --socket, or --kafka-input TOPIC (without --kafka-brokers an
/// embedded development broker is started and filled with the lines of --input). Everything runs
/// with parallelism 1, so mini-batches are deterministic; with Kafka that also needs a topic of
/// one partition (several partitions interleave by timing).
inline stream<std::string> training_lines(environment& env, job_options& o,
                                          std::optional<kafka_demo>& demo,
                                          const std::string& program) {
  if (o.kafka_input.empty())
    return env.text_input().uid("rows").parallelism(1);
  demo.emplace(o, program, std::vector<std::string>{},
               [](const std::string&) { return std::string{}; });
  auto lines = read_kafka(env, kafka_source_options_of(o), "rows").parallelism(1);
  return lines.map([](const kafka_record& r) { return r.value; }, "values").parallelism(1);
}

inline void format_output(std::string& out, const ml::model_output& o);

/// Wires the prediction requests of --predict FILE (if any) and the model's output (console, or
/// part files in --predictions DIR), runs the job, and prints the model's gauges in one line.
/// Returns the process exit code.
template <class Parse>
int run_model(environment& env, ml::model& model, const std::string& uid, const std::string& predict,
              const std::string& predictions_dir, Parse parse, const std::string& program) {
  if (!predict.empty())
    model.predict_on(env.read_text(predict).uid("queries").parallelism(1).template parse<ml::example>(
        parse, "parse_queries"));
  auto out = model.output();
  if (predictions_dir.empty())
    out.to_console(format_output).uid("sink");
  else
    out.to_files(file_sink_options{predictions_dir}, format_output).uid("sink");
  auto result = env.execute();
  if (!result.ok)
    return report_error(program, result.error);
  if (result.served_as_worker)  // results and metrics are the coordinator's
    return 0;
  if (const auto* m = result.find(uid)) {
    std::cerr << program << ": model version " << m->gauges.at("version");
    for (const auto& [name, value] : m->gauges)
      if (name != "version")
        std::cerr << ", " << name << " " << value;
    std::cerr << "\n";
  }
  return 0;
}

/// One output line: "update,VERSION,BATCH,BATCH_METRIC,RUNNING_METRIC" or
/// "prediction,VERSION,VALUE,PROBABILITY,ID".
inline void format_output(std::string& out, const ml::model_output& o) {
  if (o.kind == ml::output_kind::update) {
    out += "update,";
    format_field(out, o.version);
    out += ',';
    format_field(out, o.batch_size);
    out += ',';
    format_field(out, o.batch_metric);
    out += ',';
    format_field(out, o.running_metric);
  } else {
    out += "prediction,";
    format_field(out, o.version);
    out += ',';
    format_field(out, o.value);
    out += ',';
    format_field(out, o.probability);
    out += ',';
    out += o.id;
  }
}

}  // namespace sluice::examples
