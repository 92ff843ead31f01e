#include "ml/streaming_regression.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace sluice::ml {

namespace {

std::string describe(double v) {
  return std::isnan(v) ? "NaN" : (v > 0 ? "inf" : "-inf");
}

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// The sampling generator of the batch applied as `version`: a pure function of the state, so a
/// recovered model draws what an uninterrupted one would have drawn.
std::mt19937_64 batch_engine(std::uint64_t seed, std::uint64_t version) {
  return std::mt19937_64(splitmix64(seed ^ splitmix64(version)));
}

/// Uniform in [0, 1) from the top 53 bits: fixed by this code, unlike the standard library's
/// distributions, whose algorithms are implementation-defined.
double uniform(std::mt19937_64& engine) {
  return static_cast<double>(engine() >> 11) * 0x1.0p-53;
}

double norm(const Eigen::VectorXd& v) {
  double sum = 0;
  for (Eigen::Index j = 0; j < v.size(); ++j)
    sum += v[j] * v[j];
  return std::sqrt(sum);
}

double distance(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  double sum = 0;
  for (Eigen::Index j = 0; j < a.size(); ++j) {
    double d = a[j] - b[j];
    sum += d * d;
  }
  return std::sqrt(sum);
}

}  // namespace

streaming_linear_model::streaming_linear_model(model_kind kind, loss loss,
                                               Eigen::VectorXd initial_weights,
                                               double initial_intercept, sgd_options options,
                                               double reg_param)
    : kind_(kind), loss_(loss), options_(options), reg_param_(reg_param) {
  auto invalid = [&](const std::string& message) {
    throw std::invalid_argument(name() + ": " + message);
  };
  if (initial_weights.size() < 1)
    invalid("the model needs at least one feature (initial weights are empty)");
  for (Eigen::Index j = 0; j < initial_weights.size(); ++j)
    if (!std::isfinite(initial_weights[j]))
      invalid("initial weight " + std::to_string(j) + " is " + describe(initial_weights[j]));
  if (!std::isfinite(initial_intercept))
    invalid("the initial intercept is " + describe(initial_intercept));
  if (initial_intercept != 0 && !options_.fit_intercept)
    invalid("an initial intercept needs fit_intercept");
  if (!(options_.step_size > 0) || !std::isfinite(options_.step_size))
    invalid("step_size must be positive and finite, got " + std::to_string(options_.step_size));
  if (options_.iterations < 1)
    invalid("iterations must be at least 1, got " + std::to_string(options_.iterations));
  if (!(options_.mini_batch_fraction > 0 && options_.mini_batch_fraction <= 1))
    invalid("mini_batch_fraction must be in (0, 1], got " +
            std::to_string(options_.mini_batch_fraction));
  if (!(options_.convergence_tol >= 0 && options_.convergence_tol <= 1))
    invalid("convergence_tol must be in [0, 1], got " + std::to_string(options_.convergence_tol));
  if (!(reg_param_ >= 0) || !std::isfinite(reg_param_))
    invalid("reg_param must be finite and at least 0, got " + std::to_string(reg_param_));
  state_.weights = std::move(initial_weights);
  state_.intercept = initial_intercept;
  state_.fit_intercept = options_.fit_intercept;
  state_.seed = options_.seed;
}

std::string streaming_linear_model::name() const { return std::string(to_string(kind_)); }

void streaming_linear_model::check_batch(const Eigen::Ref<const Eigen::MatrixXd>& features,
                                         const Eigen::Ref<const Eigen::VectorXd>& labels) const {
  auto invalid = [&](const std::string& message) {
    throw std::invalid_argument(name() + ": update: " + message);
  };
  if (labels.size() != features.rows())
    invalid("the batch has " + std::to_string(features.rows()) + " rows of features but " +
            std::to_string(labels.size()) + " labels");
  if (features.rows() == 0)
    return;
  if (features.cols() != num_features())
    invalid("the batch has " + std::to_string(features.cols()) + " features per row, the model " +
            std::to_string(num_features()));
  for (Eigen::Index i = 0; i < features.rows(); ++i) {
    for (Eigen::Index j = 0; j < features.cols(); ++j)
      if (!std::isfinite(features(i, j)))
        invalid("feature " + std::to_string(j) + " of row " + std::to_string(i) + " is " +
                describe(features(i, j)));
    if (!std::isfinite(labels[i]))
      invalid("the label of row " + std::to_string(i) + " is " + describe(labels[i]));
    if (loss_ == loss::logistic && labels[i] != 0.0 && labels[i] != 1.0)
      invalid("the label of row " + std::to_string(i) + " is " + std::to_string(labels[i]) +
              ", logistic regression needs 0 or 1");
  }
}

sgd_report streaming_linear_model::update(const labeled_batch& batch) {
  return update(batch.features, batch.labels);
}

sgd_report streaming_linear_model::update(const Eigen::Ref<const Eigen::MatrixXd>& features,
                                          const Eigen::Ref<const Eigen::VectorXd>& labels) {
  check_batch(features, labels);
  sgd_report report;
  report.rows = features.rows();
  if (report.rows == 0)
    return report;

  // The intercept is the weight of a constant-1 feature appended last, as Spark's appendBias.
  const Eigen::Index d = num_features();
  Eigen::VectorXd w(d + (options_.fit_intercept ? 1 : 0));
  w.head(d) = state_.weights;
  if (options_.fit_intercept)
    w[d] = state_.intercept;

  auto engine = batch_engine(state_.seed, state_.version);
  Eigen::VectorXd gradient_sum(w.size()), previous(w.size());
  // Every iteration reads every example: one copy makes each example contiguous in memory.
  const Eigen::MatrixXd examples = features.transpose();
  std::vector<Eigen::Index> sample;
  sample.reserve(static_cast<std::size_t>(features.rows()));
  for (int i = 1; i <= options_.iterations && !report.converged; ++i) {
    ++report.iterations;
    auto count = sample_gradient(examples, labels, w, engine, sample, gradient_sum);
    if (count == 0)
      continue;  // Spark skips an empty sample; the next iteration still uses i + 1
    previous = w;
    step(w, gradient_sum, count, i);
    ++report.steps;
    // As Spark, the first comparison is between the results of the first two steps.
    if (report.steps >= 2)
      report.converged = distance(previous, w) < options_.convergence_tol * std::max(norm(w), 1.0);
  }

  state_.weights = w.head(d);
  if (options_.fit_intercept)
    state_.intercept = w[d];
  ++state_.version;
  return report;
}

std::int64_t streaming_linear_model::sample_gradient(
    const Eigen::MatrixXd& examples, const Eigen::Ref<const Eigen::VectorXd>& labels,
    const Eigen::VectorXd& w, std::mt19937_64& engine, std::vector<Eigen::Index>& sample,
    Eigen::VectorXd& gradient_sum) const {
  const Eigen::Index d = num_features();
  // The draws first, one per example in row order, as a loop over the rows would make them.
  sample.clear();
  const bool sampling = options_.mini_batch_fraction < 1.0;
  for (Eigen::Index r = 0; r < examples.cols(); ++r)
    if (!sampling || uniform(engine) < options_.mini_batch_fraction)
      sample.push_back(r);
  gradient_sum.setZero();
  double* g = gradient_sum.data();
  // Examples go eight at a time: their eight dot products are independent chains the CPU runs
  // side by side, each still summed in feature order, and the gradient adds their eight terms to
  // each coordinate in row order, so the results are bit for bit those of one example at a time.
  constexpr std::size_t group = 8;
  for (std::size_t first = 0; first < sample.size(); first += group) {
    const std::size_t n = std::min(group, sample.size() - first);
    const double* x[group];
    double dot[group] = {};
    double multiplier[group] = {};
    for (std::size_t t = 0; t < n; ++t)
      x[t] = examples.col(sample[first + t]).data();
    if (n == group) {
      for (Eigen::Index j = 0; j < d; ++j)
        for (std::size_t t = 0; t < group; ++t)
          dot[t] += x[t][j] * w[j];
    } else {
      for (std::size_t t = 0; t < n; ++t)
        for (Eigen::Index j = 0; j < d; ++j)
          dot[t] += x[t][j] * w[j];
    }
    for (std::size_t t = 0; t < n; ++t) {
      if (options_.fit_intercept)
        dot[t] += w[d];
      double label = labels[sample[first + t]];
      multiplier[t] = loss_ == loss::least_squares
                          ? dot[t] - label
                          : (1.0 / (1.0 + std::exp(-1.0 * dot[t]))) - label;
    }
    if (n == group) {
      for (Eigen::Index j = 0; j < d; ++j) {
        double sum = g[j];
        for (std::size_t t = 0; t < group; ++t)
          sum += multiplier[t] * x[t][j];
        g[j] = sum;
      }
    } else {
      for (std::size_t t = 0; t < n; ++t)
        for (Eigen::Index j = 0; j < d; ++j)
          g[j] += multiplier[t] * x[t][j];
    }
    if (options_.fit_intercept)
      for (std::size_t t = 0; t < n; ++t)
        g[d] += multiplier[t];
  }
  return static_cast<std::int64_t>(sample.size());
}

void streaming_linear_model::step(Eigen::VectorXd& w, const Eigen::VectorXd& gradient_sum,
                                  std::int64_t count, int iteration) const {
  // Spark's updaters: SimpleUpdater (least squares); SquaredL2Updater (logistic), which shrinks
  // before the gradient step. The intercept is never shrunk.
  double step = options_.step_size / std::sqrt(static_cast<double>(iteration));
  if (loss_ == loss::logistic) {
    double shrink = 1.0 - step * reg_param_;
    for (Eigen::Index j = 0; j < num_features(); ++j)
      w[j] *= shrink;
  }
  auto size = static_cast<double>(count);
  for (Eigen::Index j = 0; j < w.size(); ++j)
    w[j] += -step * (gradient_sum[j] / size);
}

double streaming_linear_model::margin(const Eigen::Ref<const Eigen::VectorXd>& point) const {
  if (point.size() != num_features())
    throw std::invalid_argument(name() + ": predict: the point has " +
                                std::to_string(point.size()) + " features, the model " +
                                std::to_string(num_features()));
  double dot = 0;
  for (Eigen::Index j = 0; j < point.size(); ++j) {
    if (!std::isfinite(point[j]))
      throw std::invalid_argument(name() + ": predict: feature " + std::to_string(j) + " is " +
                                  describe(point[j]));
    dot += point[j] * state_.weights[j];
  }
  return dot + state_.intercept;
}

// -- state ---------------------------------------------------------------------------------------

void streaming_linear_model::check_loaded(const linear_model_state& s) const {
  if (s.fit_intercept != options_.fit_intercept)
    throw state_format_error(state_errc::shape_mismatch,
                             std::string("the state ") +
                                 (s.fit_intercept ? "has" : "has no") +
                                 " intercept, the model " +
                                 (options_.fit_intercept ? "fits one" : "fits none"));
  if (!s.fit_intercept && s.intercept != 0)
    throw state_format_error(state_errc::bad_value,
                             "the state has an intercept value but fits no intercept");
}

nlohmann::json streaming_linear_model::to_json() const {
  auto j = json_header(kind_);
  j["version"] = state_.version;
  j["seed"] = state_.seed;
  j["fit_intercept"] = state_.fit_intercept;
  j["weights"] = doubles_to_json(state_.weights);
  j["intercept"] = hex_double(state_.intercept);
  return j;
}

state_status streaming_linear_model::from_json(const nlohmann::json& json) {
  linear_model_state loaded;
  auto status = capture_state_errors(name() + "::from_json", [&] {
    check_json_header(json, kind_);
    loaded.version = json.at("version").get<std::uint64_t>();
    loaded.seed = json.at("seed").get<std::uint64_t>();
    loaded.fit_intercept = json.at("fit_intercept").get<bool>();
    loaded.weights = doubles_from_json(json.at("weights"), num_features(), "weights");
    loaded.intercept = double_from_json(json.at("intercept"), "intercept");
    check_loaded(loaded);
  });
  if (status.ok())
    state_ = std::move(loaded);
  return status;
}

void streaming_linear_model::save_state(std::string& out) const {
  state_writer w(out, kind_);
  w.u64(state_.version);
  w.u64(state_.seed);
  w.u8(state_.fit_intercept ? 1 : 0);
  w.u64(static_cast<std::uint64_t>(num_features()));
  w.f64s(state_.weights);
  w.f64(state_.intercept);
  w.finish();
}

state_status streaming_linear_model::load_state(std::string_view bytes) {
  linear_model_state loaded;
  auto status = capture_state_errors(name() + "::load_state", [&] {
    state_reader r(bytes, kind_);
    loaded.version = r.u64();
    loaded.seed = r.u64();
    auto flag = r.u8();
    if (flag > 1)
      throw state_format_error(state_errc::bad_value,
                               "fit_intercept byte is " + std::to_string(flag));
    loaded.fit_intercept = flag == 1;
    auto features = r.u64();
    if (features != static_cast<std::uint64_t>(num_features()))
      throw state_format_error(state_errc::shape_mismatch,
                               "the state has " + std::to_string(features) +
                                   " features, the model " + std::to_string(num_features()));
    loaded.weights = r.f64s(num_features());
    loaded.intercept = r.f64();
    r.finish();
    check_loaded(loaded);
  });
  if (status.ok())
    state_ = std::move(loaded);
  return status;
}

// -- the two models ------------------------------------------------------------------------------

streaming_linear_regression::streaming_linear_regression(Eigen::VectorXd initial_weights,
                                                         sgd_options options,
                                                         double initial_intercept)
    : streaming_linear_model(model_kind::streaming_linear_regression, loss::least_squares,
                             std::move(initial_weights), initial_intercept, options, 0.0) {}

double streaming_linear_regression::predict(const Eigen::Ref<const Eigen::VectorXd>& point) const {
  return margin(point);
}

Eigen::VectorXd streaming_linear_regression::predict_all(
    const Eigen::Ref<const Eigen::MatrixXd>& points) const {
  Eigen::VectorXd out(points.rows());
  for (Eigen::Index i = 0; i < points.rows(); ++i)
    out[i] = margin(points.row(i).transpose());
  return out;
}

streaming_logistic_regression::streaming_logistic_regression(
    Eigen::VectorXd initial_weights, logistic_regression_options options,
    double initial_intercept)
    : streaming_linear_model(model_kind::streaming_logistic_regression, loss::logistic,
                             std::move(initial_weights), initial_intercept, options.sgd,
                             options.reg_param),
      threshold_(options.threshold) {
  if (!(threshold_ >= 0 && threshold_ <= 1))
    throw std::invalid_argument(name() + ": threshold must be in [0, 1], got " +
                                std::to_string(threshold_));
}

double streaming_logistic_regression::predict_probability(
    const Eigen::Ref<const Eigen::VectorXd>& point) const {
  return 1.0 / (1.0 + std::exp(-margin(point)));
}

classification streaming_logistic_regression::predict(
    const Eigen::Ref<const Eigen::VectorXd>& point) const {
  double p = predict_probability(point);
  return {p > threshold_ ? 1 : 0, p};
}

Eigen::VectorXd streaming_logistic_regression::predict_probabilities(
    const Eigen::Ref<const Eigen::MatrixXd>& points) const {
  Eigen::VectorXd out(points.rows());
  for (Eigen::Index i = 0; i < points.rows(); ++i)
    out[i] = predict_probability(points.row(i).transpose());
  return out;
}

}  // namespace sluice::ml
