// One interface over the three streaming models, for the model operator: prequential
// test-then-train on a mini-batch of examples, prediction, version, state bytes for checkpoints
// and JSON for export. A model whose dimension is not given starts at the first example it sees
// (zeros for regressions, seeded random centres for k-means), so initialization is
// deterministic. One adapter per model operator; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ml/example.hpp"
#include "ml/streaming_kmeans.hpp"
#include "ml/streaming_regression.hpp"

namespace sluice::ml {

class model_adapter {
 public:
  virtual ~model_adapter() = default;
  /// "streaming_kmeans", "streaming_linear_regression", "streaming_logistic_regression".
  virtual std::string kind() const = 0;
  /// Name of the prequential metric: "cost" (k-means, per point), "mse", "accuracy".
  virtual std::string metric_name() const = 0;
  /// Scores the batch with the current model, then trains on it; returns the batch's metric.
  virtual double test_then_train(const std::vector<example>& batch) = 0;
  /// The metric over every batch so far (0 before the first).
  virtual double running_metric() const = 0;
  /// Extra gauges (e.g. log-loss) beside the metric.
  virtual std::vector<std::pair<std::string, double>> extra_gauges() const { return {}; }
  virtual void predict(const example& x, model_output& out) = 0;
  /// Why a training label is unacceptable ("" when it is fine).
  virtual std::string check_label(double) const { return {}; }
  virtual uint64_t version() const = 0;
  /// Number of features the model takes; nullopt until it saw its first example.
  virtual std::optional<std::size_t> dim() const = 0;
  /// Model and evaluation state, for checkpoints.
  virtual std::string save() const = 0;
  /// Takes back what save() wrote; throws std::runtime_error naming the damage.
  virtual void load(std::string_view bytes) = 0;
  /// The model as JSON ({"model": ..., "version": ..., parameters}); null before initialization.
  virtual nlohmann::json to_json() const = 0;
  /// Starts from an exported model (--model-in); throws std::runtime_error.
  virtual void load_json(const nlohmann::json& j) = 0;
};

struct kmeans_model_options {
  kmeans_options model;
  std::optional<Eigen::MatrixXd> initial_centres;  ///< default: random (seed), weight 0
  double initial_weight = 0.0;
  uint64_t seed = 42;
};

std::unique_ptr<model_adapter> make_kmeans_adapter(kmeans_model_options o);
std::unique_ptr<model_adapter> make_linear_adapter(sgd_options o);
std::unique_ptr<model_adapter> make_logistic_adapter(logistic_regression_options o);

}  // namespace sluice::ml
