#include "ml/evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace sluice::ml {

namespace {

void check_labels(const labeled_batch& batch, const char* context) {
  if (batch.labels.size() != batch.features.rows())
    throw std::invalid_argument(std::string(context) + ": the batch has " +
                                std::to_string(batch.features.rows()) + " rows of features but " +
                                std::to_string(batch.labels.size()) + " labels");
}

}  // namespace

double kmeans_cost(const streaming_kmeans& model, const Eigen::Ref<const Eigen::MatrixXd>& points) {
  double cost = 0;
  for (Eigen::Index i = 0; i < points.rows(); ++i)
    cost += model.nearest(points.row(i).transpose()).squared_distance;
  return cost;
}

// -- mse_evaluator -------------------------------------------------------------------------------

void mse_evaluator::add(double prediction, double label) {
  double error = prediction - label;
  sum_ += error * error;
  ++count_;
}

void mse_evaluator::test(const streaming_linear_regression& model, const labeled_batch& batch) {
  check_labels(batch, "mse_evaluator::test");
  for (Eigen::Index i = 0; i < batch.labels.size(); ++i)  // all checks before the first add
    if (!std::isfinite(batch.labels[i]))
      throw std::invalid_argument("mse_evaluator::test: the label of row " + std::to_string(i) +
                                  " is not finite");
  auto predictions = model.predict_all(batch.features);
  for (Eigen::Index i = 0; i < predictions.size(); ++i)
    add(predictions[i], batch.labels[i]);
}

std::optional<double> mse_evaluator::mse() const {
  if (count_ == 0)
    return std::nullopt;
  return sum_ / static_cast<double>(count_);
}

// -- classification_evaluator --------------------------------------------------------------------

void classification_evaluator::add(const classification& prediction, double label) {
  if (label != 0.0 && label != 1.0)
    throw std::invalid_argument("classification_evaluator: the label is " +
                                std::to_string(label) + ", it must be 0 or 1");
  double p = std::clamp(prediction.probability, epsilon, 1.0 - epsilon);
  log_loss_sum_ += label == 1.0 ? -std::log(p) : -std::log(1.0 - p);
  if (prediction.label == static_cast<int>(label))
    ++correct_;
  ++count_;
}

void classification_evaluator::test(const streaming_logistic_regression& model,
                                    const labeled_batch& batch) {
  check_labels(batch, "classification_evaluator::test");
  for (Eigen::Index i = 0; i < batch.labels.size(); ++i)  // all checks before the first add
    if (batch.labels[i] != 0.0 && batch.labels[i] != 1.0)
      throw std::invalid_argument("classification_evaluator::test: the label of row " +
                                  std::to_string(i) + " is " + std::to_string(batch.labels[i]) +
                                  ", it must be 0 or 1");
  std::vector<classification> predictions;
  predictions.reserve(static_cast<std::size_t>(batch.features.rows()));
  for (Eigen::Index i = 0; i < batch.features.rows(); ++i)
    predictions.push_back(model.predict(batch.features.row(i).transpose()));
  for (Eigen::Index i = 0; i < batch.features.rows(); ++i)
    add(predictions[static_cast<std::size_t>(i)], batch.labels[i]);
}

std::optional<double> classification_evaluator::accuracy() const {
  if (count_ == 0)
    return std::nullopt;
  return static_cast<double>(correct_) / static_cast<double>(count_);
}

std::optional<double> classification_evaluator::log_loss() const {
  if (count_ == 0)
    return std::nullopt;
  return log_loss_sum_ / static_cast<double>(count_);
}

// -- kmeans_cost_evaluator -----------------------------------------------------------------------

double kmeans_cost_evaluator::test(const streaming_kmeans& model,
                                   const Eigen::Ref<const Eigen::MatrixXd>& points) {
  double cost = kmeans_cost(model, points);
  total_ += cost;
  count_ += static_cast<std::uint64_t>(points.rows());
  return cost;
}

std::optional<double> kmeans_cost_evaluator::mean_cost() const {
  if (count_ == 0)
    return std::nullopt;
  return total_ / static_cast<double>(count_);
}

}  // namespace sluice::ml
