// Prequential (test-then-train) evaluation of the streaming models: each mini-batch is first
// scored by the model as it stands, then used to train it, so every example is scored by a
// model that has not seen it. Running totals: mean squared error for linear regression,
// accuracy and log-loss for logistic regression, the k-means cost for streaming k-means.
// Plain value classes, not thread-safe (one owner, like the models). Sums run in row order,
// so the same batches give bit-identical metrics.
#pragma once

#include <cstdint>
#include <optional>

#include <Eigen/Core>

#include "ml/streaming_kmeans.hpp"
#include "ml/streaming_regression.hpp"

namespace sluice::ml {

/// The k-means cost of a batch: the sum over its rows of the squared Euclidean distance to the
/// nearest centre. Throws std::invalid_argument on a bad batch, as predict does.
double kmeans_cost(const streaming_kmeans& model, const Eigen::Ref<const Eigen::MatrixXd>& points);

/// Running mean squared error of a regression.
class mse_evaluator {
 public:
  void add(double prediction, double label);
  /// Scores every row of the batch with the model's current weights (call before update).
  void test(const streaming_linear_regression& model, const labeled_batch& batch);

  std::uint64_t count() const { return count_; }
  double sum_squared_error() const { return sum_; }
  /// nullopt before the first example.
  std::optional<double> mse() const;

 private:
  std::uint64_t count_ = 0;
  double sum_ = 0.0;
};

/// Running accuracy and log-loss of a binary classifier.
class classification_evaluator {
 public:
  /// Probabilities are clipped to [epsilon, 1 - epsilon] in the log-loss, so a confident
  /// mistake costs -log(epsilon) (about 34.5) instead of infinity.
  static constexpr double epsilon = 1e-15;

  /// `probability` of label 1 and the predicted label; `label` must be 0 or 1.
  void add(const classification& prediction, double label);
  /// Scores every row of the batch with the model's current weights (call before update).
  void test(const streaming_logistic_regression& model, const labeled_batch& batch);

  std::uint64_t count() const { return count_; }
  std::uint64_t correct() const { return correct_; }
  /// nullopt before the first example.
  std::optional<double> accuracy() const;
  /// Mean of -(y log p + (1 - y) log(1 - p)); nullopt before the first example.
  std::optional<double> log_loss() const;

 private:
  std::uint64_t count_ = 0;
  std::uint64_t correct_ = 0;
  double log_loss_sum_ = 0.0;
};

/// Running k-means cost.
class kmeans_cost_evaluator {
 public:
  /// Adds the cost of the batch against the model's current centres (call before update) and
  /// returns it.
  double test(const streaming_kmeans& model, const Eigen::Ref<const Eigen::MatrixXd>& points);

  std::uint64_t count() const { return count_; }
  double total_cost() const { return total_; }
  /// Cost per point; nullopt before the first point.
  std::optional<double> mean_cost() const;

 private:
  std::uint64_t count_ = 0;
  double total_ = 0.0;
};

/// One prequential step: evaluator.test(model, batch), then model.update(batch); returns what
/// update returns.
template <class Model, class Evaluator, class Batch>
auto test_then_train(Model& model, Evaluator& evaluator, const Batch& batch) {
  evaluator.test(model, batch);
  return model.update(batch);
}

}  // namespace sluice::ml
