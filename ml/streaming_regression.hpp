// Streaming linear and logistic regression trained, one mini-batch at a time, by Spark MLlib's
// mini-batch gradient descent (GradientDescent.runMiniBatchSGD warm-started from the current
// weights, as StreamingLinearRegressionWithSGD and StreamingLogisticRegressionWithSGD do). Both
// share the loop in streaming_linear_model; they differ in the gradient (least squares or
// logistic), in L2 regularisation (logistic only) and in what predict returns. The rule, step
// by step, is in ml/README.md.
//
// Plain single-threaded classes, not thread-safe: their owner (a model actor) serialises
// update, predict and state access. update() validates the whole batch before changing
// anything, so a rejected batch (std::invalid_argument) leaves the model as it was. Training is
// deterministic: the same batches in the same order give bit-identical weights, because row
// sampling draws from a generator seeded by (seed, version), both part of the state.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include <Eigen/Core>
#include <nlohmann/json_fwd.hpp>

#include "ml/model_json.hpp"

namespace sluice::ml {

struct sgd_options {
  /// Default 0.1. Iteration i (from 1) of a batch steps step_size / sqrt(i); > 0, finite.
  double step_size = 0.1;
  /// Default 50. Gradient steps per mini-batch at most; >= 1.
  int iterations = 50;
  /// Default 1.0 (every row, no sampling). In (0, 1]: each iteration keeps each row of the
  /// batch with this probability; an iteration whose sample is empty changes nothing.
  double mini_batch_fraction = 1.0;
  /// Default 0.001, in [0, 1]. A batch stops early once two successive updated weight vectors
  /// satisfy |w_new - w_old| < convergence_tol * max(|w_new|, 1) (0 never stops early).
  double convergence_tol = 0.001;
  /// Default false (as Spark's streaming models). True adds a constant-1 feature whose weight
  /// is the intercept; L2 regularisation does not shrink it.
  bool fit_intercept = false;
  /// Default 42. Seeds the row sampling; copied into the state, which it then belongs to.
  std::uint64_t seed = 42;
};

struct logistic_regression_options {
  /// Defaults as sgd_options.
  sgd_options sgd = {};
  /// Default 0.0. L2 strength (Spark's SquaredL2Updater regParam), >= 0, finite.
  double reg_param = 0.0;
  /// Default 0.5. predict() says class 1 when the probability is strictly above it; in [0, 1].
  double threshold = 0.5;
};

/// A mini-batch of labelled examples: row i of features goes with labels[i].
struct labeled_batch {
  Eigen::MatrixXd features;
  Eigen::VectorXd labels;
};

/// The mutable part of the model: exactly what a checkpoint holds.
struct linear_model_state {
  Eigen::VectorXd weights;    // one per feature
  double intercept = 0.0;     // stays 0 unless fit_intercept
  bool fit_intercept = false;
  std::uint64_t version = 0;  // non-empty mini-batches applied
  std::uint64_t seed = 42;    // sampling seed; with version it fixes the next batch's draws
};

/// What one update did, for logs, metrics and tests.
struct sgd_report {
  Eigen::Index rows = 0;  // examples in the batch (0: the batch was ignored)
  int iterations = 0;     // iterations run, including those whose sample was empty
  int steps = 0;          // iterations that changed the weights
  bool converged = false; // stopped early on convergence_tol
};

/// Shared state, SGD loop and serialisation of the two regression models; not used directly.
class streaming_linear_model {
 public:
  /// Trains on one mini-batch: features with num_features() columns, finite, one label per
  /// row (logistic: 0 or 1). Throws std::invalid_argument naming the problem. An empty batch
  /// (no rows) is ignored and does not count as a version, as Spark skips empty RDDs.
  sgd_report update(const labeled_batch& batch);
  sgd_report update(const Eigen::Ref<const Eigen::MatrixXd>& features,
                    const Eigen::Ref<const Eigen::VectorXd>& labels);

  Eigen::Index num_features() const { return state_.weights.size(); }
  const Eigen::VectorXd& weights() const { return state_.weights; }
  double intercept() const { return state_.intercept; }
  std::uint64_t version() const { return state_.version; }
  const linear_model_state& state() const { return state_; }
  const sgd_options& options() const { return options_; }

  /// {"model": "streaming_linear_regression" | "streaming_logistic_regression", "format": 1,
  /// "version": n, "seed": s, "fit_intercept": b, "weights": [hex, ...], "intercept": hex},
  /// doubles as hex_double strings.
  nlohmann::json to_json() const;
  /// Replaces the state with one from to_json (numbers are accepted for doubles too). The
  /// number of features and fit_intercept must match this model's. On failure: unchanged.
  [[nodiscard]] state_status from_json(const nlohmann::json& state);

  /// Replaces `out` with the binary state: header, u64 version, u64 seed, u8 fit_intercept,
  /// u64 number of features, the weights, the intercept, checksum (see ml/model_json.hpp).
  void save_state(std::string& out) const;
  /// Replaces the state with one from save_state. On failure the model is unchanged.
  [[nodiscard]] state_status load_state(std::string_view bytes);

 protected:
  enum class loss { least_squares, logistic };

  streaming_linear_model(model_kind kind, loss loss, Eigen::VectorXd initial_weights,
                         double initial_intercept, sgd_options options, double reg_param);
  streaming_linear_model(const streaming_linear_model&) = default;
  streaming_linear_model(streaming_linear_model&&) noexcept = default;
  streaming_linear_model& operator=(const streaming_linear_model&) = default;
  streaming_linear_model& operator=(streaming_linear_model&&) noexcept = default;
  ~streaming_linear_model() = default;

  /// w . x + intercept, summed in feature order. Throws on a bad point.
  double margin(const Eigen::Ref<const Eigen::VectorXd>& point) const;
  /// "streaming_linear_regression" or "streaming_logistic_regression", for messages.
  std::string name() const;
  double l2() const { return reg_param_; }

 private:
  void check_batch(const Eigen::Ref<const Eigen::MatrixXd>& features,
                   const Eigen::Ref<const Eigen::VectorXd>& labels) const;
  void check_loaded(const linear_model_state& s) const;
  /// Sums the gradient at `w` over this iteration's sample of the examples; returns its size.
  /// `examples` holds one example per column (the batch transposed: each one contiguous);
  /// `sample` is scratch space for the sampled indices.
  std::int64_t sample_gradient(const Eigen::MatrixXd& examples,
                               const Eigen::Ref<const Eigen::VectorXd>& labels,
                               const Eigen::VectorXd& w, std::mt19937_64& engine,
                               std::vector<Eigen::Index>& sample,
                               Eigen::VectorXd& gradient_sum) const;
  /// One gradient step of iteration `iteration` (from 1) with the mean gradient.
  void step(Eigen::VectorXd& w, const Eigen::VectorXd& gradient_sum, std::int64_t count,
            int iteration) const;

  model_kind kind_;
  loss loss_;
  sgd_options options_;
  double reg_param_;
  linear_model_state state_;
};

/// Least-squares regression: gradient (w . x - y) x, no regularisation (Spark's
/// LinearRegressionWithSGD with SimpleUpdater).
class streaming_linear_regression : public streaming_linear_model {
 public:
  /// Starts from `initial_weights` (its size is the number of features, >= 1; finite).
  /// Throws std::invalid_argument on bad options or weights.
  explicit streaming_linear_regression(Eigen::VectorXd initial_weights, sgd_options options = {},
                                       double initial_intercept = 0.0);

  /// w . x + intercept.
  double predict(const Eigen::Ref<const Eigen::VectorXd>& point) const;
  /// predict() for every row.
  Eigen::VectorXd predict_all(const Eigen::Ref<const Eigen::MatrixXd>& points) const;
};

struct classification {
  int label = 0;             // 1 when probability > threshold, else 0
  double probability = 0.0;  // P(label 1) = 1 / (1 + exp(-(w . x + intercept)))
};

/// Binary logistic regression, labels 0 and 1: gradient (sigmoid(w . x) - y) x, optional L2
/// (Spark's LogisticRegressionWithSGD with SquaredL2Updater).
class streaming_logistic_regression : public streaming_linear_model {
 public:
  /// As streaming_linear_regression; also validates reg_param and threshold.
  explicit streaming_logistic_regression(Eigen::VectorXd initial_weights,
                                         logistic_regression_options options = {},
                                         double initial_intercept = 0.0);

  classification predict(const Eigen::Ref<const Eigen::VectorXd>& point) const;
  double predict_probability(const Eigen::Ref<const Eigen::VectorXd>& point) const;
  /// P(label 1) for every row.
  Eigen::VectorXd predict_probabilities(const Eigen::Ref<const Eigen::MatrixXd>& points) const;

  double threshold() const { return threshold_; }
  double reg_param() const { return l2(); }

 private:
  double threshold_;
};

}  // namespace sluice::ml
