// Online machine learning in a job: a model is an operator (a model actor) with a training input
// and a prediction input. Spark MLlib's streaming k-means and linear / logistic regression by SGD,
// with checkpointed parameters:
//
//   auto km = sluice::ml::kmeans(env, {.model = {.k = 3}}, {.batch_size = 50}, "kmeans");
//   km.train_on(points);            // stream<ml::example>, parallelism 1 (deterministic order)
//   km.predict_on(queries);         // optional: stream<ml::example>
//   km.output().to_files(dir);      // stream<ml::model_output>: updates and predictions
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "ml/example.hpp"
#include "ml/model_adapter.hpp"
#include "ml/model_operator.hpp"
#include "sluice/stream.hpp"

namespace sluice::ml {

class model {
 public:
  using factory = std::function<std::unique_ptr<model_adapter>()>;

  model(environment& env, factory make, model_settings settings, std::string uid)
      : env_(&env), make_(std::move(make)), settings_(std::move(settings)), uid_(std::move(uid)) {}

  /// The training stream. Its mini-batches are `batch_size` examples in arrival order, so it must
  /// come from operators running with parallelism 1 (the plan checks).
  model& train_on(const stream<example>& s) {
    train_ = s.node_id();
    return *this;
  }
  /// The stream of prediction requests; each answer carries the request's id and the version of
  /// the model that answered.
  model& predict_on(const stream<example>& s) {
    predict_ = s.node_id();
    return *this;
  }
  /// Spark's predictOnValues: predictions keyed by K (the key, formatted, becomes the id).
  template <class K>
  model& predict_on_values(const stream<std::pair<K, example>>& s) {
    return predict_on(s.map([](const std::pair<K, example>& kv) {
      example x = kv.second;
      x.id.clear();
      format_field(x.id, kv.first);
      return x;
    }));
  }

  /// The model's output: one update per mini-batch (prequential metric) and one prediction per
  /// request. Builds the model operator on first call.
  stream<model_output> output() {
    if (out_)
      return stream<model_output>(*env_, *out_);
    if (!train_)
      throw job_error("model '" + uid_ + "' has no training stream (call train_on first)");
    graph_node n;
    n.uid = uid_;
    n.input = *train_;
    n.input_partitioning = partitioning::forward;
    if (predict_) {
      n.input2 = *predict_;
      n.input2_partitioning = partitioning::rebalance;
    }
    n.parallelism = 1;
    n.ordered_input = true;
    n.starts_chain = true;  // training runs beside the parsing upstream, not in turns with it
    auto make = make_;
    auto settings = settings_;
    n.make_operator = [make, settings](const task_context&) -> operator_ptr {
      return std::make_unique<model_operator>(make(), settings);
    };
    out_ = env_->template add_node<model_output>(std::move(n), "model");
    return stream<model_output>(*env_, *out_);
  }

 private:
  environment* env_;
  factory make_;
  model_settings settings_;
  std::string uid_;
  std::optional<uint32_t> train_;
  std::optional<uint32_t> predict_;
  std::optional<uint32_t> out_;
};

inline model kmeans(environment& env, kmeans_model_options o, model_settings s,
                    std::string uid = "kmeans") {
  return model(env, [o] { return make_kmeans_adapter(o); }, std::move(s), std::move(uid));
}

inline model linear_regression(environment& env, sgd_options o, model_settings s,
                               std::string uid = "linear_regression") {
  return model(env, [o] { return make_linear_adapter(o); }, std::move(s), std::move(uid));
}

inline model logistic_regression(environment& env, logistic_regression_options o,
                                 model_settings s, std::string uid = "logistic_regression") {
  return model(env, [o] { return make_logistic_adapter(o); }, std::move(s), std::move(uid));
}

}  // namespace sluice::ml
