#include "ml/streaming_kmeans.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace sluice::ml {

namespace {

constexpr double dying_ratio = 1e-8;      // smallest weight < ratio * largest: the cluster dies
constexpr double split_perturbation = 1e-14;
constexpr double min_weight = 1e-16;      // guards the division by the updated weight

[[noreturn]] void invalid(const std::string& message) {
  throw std::invalid_argument("streaming_kmeans: " + message);
}

std::string describe(double v) {
  return std::isnan(v) ? "NaN" : (v > 0 ? "inf" : "-inf");
}

/// Standard normal draws by Marsaglia's polar method (as java.util.Random.nextGaussian) over
/// mt19937_64 bits: unlike std::normal_distribution its output is fixed by this code, not by
/// the standard library, so seeded centres are the same on every platform.
class gaussian_source {
 public:
  explicit gaussian_source(std::uint64_t seed) : engine_(seed) {}

  double next() {
    if (spare_) {
      auto v = *spare_;
      spare_.reset();
      return v;
    }
    double v1 = 0, v2 = 0, s = 0;
    do {
      v1 = 2 * uniform() - 1;
      v2 = 2 * uniform() - 1;
      s = v1 * v1 + v2 * v2;
    } while (s >= 1 || s == 0);
    double multiplier = std::sqrt(-2 * std::log(s) / s);
    spare_ = v2 * multiplier;
    return v1 * multiplier;
  }

 private:
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  std::mt19937_64 engine_;
  std::optional<double> spare_;
};

/// Squared distances of `point` to the centres first .. first + N - 1 into `out`. The loops run
/// coordinate by coordinate over N centres at once (a column of the column-major centres is
/// contiguous), so the N sums are independent and vectorise, while each is still summed
/// coordinate by coordinate in order: bit for bit the one-centre-at-a-time sum.
template <int N, class Point>
void squared_distances(const Point& point, const Eigen::MatrixXd& centres, Eigen::Index first,
                       double* out) {
  double acc[N] = {};
  const double* column = centres.data() + first;
  for (Eigen::Index c = 0; c < centres.cols(); ++c, column += centres.rows()) {
    double x = point(c);
    for (int t = 0; t < N; ++t) {
      double diff = x - column[t];
      acc[t] += diff * diff;
    }
  }
  for (int t = 0; t < N; ++t)
    out[t] = acc[t];
}

/// `point` is any Eigen vector expression (a matrix row, a column vector) of the centres' size.
template <class Point>
nearest_centre nearest_to(const Point& point, const Eigen::MatrixXd& centres) {
  constexpr int block = 8;
  nearest_centre best{0, 0.0};
  double d[block];
  for (Eigen::Index first = 0; first < centres.rows(); first += block) {
    auto n = std::min<Eigen::Index>(block, centres.rows() - first);
    if (n == block) {
      squared_distances<block>(point, centres, first, d);
    } else {
      for (Eigen::Index t = 0; t < n; ++t)  // the last, partial block one centre at a time
        squared_distances<1>(point, centres, first + t, d + t);
    }
    for (Eigen::Index t = 0; t < n; ++t)
      if (first + t == 0 || d[t] < best.squared_distance)  // strict: the lowest index wins ties
        best = {first + t, d[t]};
  }
  return best;
}

}  // namespace

streaming_kmeans::streaming_kmeans(kmeans_options options, Eigen::MatrixXd centres,
                                   Eigen::VectorXd weights)
    : options_(options) {
  if (options_.k < 1)
    invalid("k must be at least 1, got " + std::to_string(options_.k));
  if (options_.half_life) {
    double h = *options_.half_life;
    if (!(h > 0) || !std::isfinite(h))
      invalid("half_life must be positive and finite, got " + std::to_string(h));
    decay_ = std::exp(std::log(0.5) / h);
  } else {
    double a = options_.decay_factor;
    if (!(a >= 0) || !std::isfinite(a))
      invalid("decay_factor must be finite and at least 0, got " + std::to_string(a));
    decay_ = a;
  }
  kmeans_state s{std::move(centres), std::move(weights), 0};
  check_state(s);
  state_ = std::move(s);
}

streaming_kmeans streaming_kmeans::with_random_centres(kmeans_options options, Eigen::Index dim,
                                                       double weight, std::uint64_t seed) {
  if (options.k < 1)
    invalid("k must be at least 1, got " + std::to_string(options.k));
  if (dim < 1)
    invalid("the dimension must be at least 1, got " + std::to_string(dim));
  gaussian_source gaussian(seed);
  Eigen::MatrixXd centres(options.k, dim);
  for (Eigen::Index j = 0; j < centres.rows(); ++j)
    for (Eigen::Index c = 0; c < dim; ++c)
      centres(j, c) = gaussian.next();
  return streaming_kmeans(options, std::move(centres), Eigen::VectorXd::Constant(options.k, weight));
}

void streaming_kmeans::check_state(const kmeans_state& s) const {
  if (s.centres.rows() != options_.k)
    invalid("expected " + std::to_string(options_.k) + " centres (k), got " +
            std::to_string(s.centres.rows()));
  if (s.centres.cols() < 1)
    invalid("the centres need at least one dimension");
  if (s.weights.size() != options_.k)
    invalid("expected " + std::to_string(options_.k) + " weights (k), got " +
            std::to_string(s.weights.size()));
  for (Eigen::Index j = 0; j < s.centres.rows(); ++j) {
    for (Eigen::Index c = 0; c < s.centres.cols(); ++c)
      if (!std::isfinite(s.centres(j, c)))
        invalid("coordinate " + std::to_string(c) + " of centre " + std::to_string(j) + " is " +
                describe(s.centres(j, c)));
    if (!(s.weights[j] >= 0) || !std::isfinite(s.weights[j]))
      invalid("weight " + std::to_string(j) + " must be finite and at least 0, got " +
              std::to_string(s.weights[j]));
  }
}

void streaming_kmeans::check_points(const Eigen::Ref<const Eigen::MatrixXd>& points) const {
  if (points.rows() == 0)
    return;
  if (points.cols() != dim())
    invalid("the batch has " + std::to_string(points.cols()) + " features per point, the model " +
            std::to_string(dim()));
  for (Eigen::Index i = 0; i < points.rows(); ++i)
    for (Eigen::Index c = 0; c < points.cols(); ++c)
      if (!std::isfinite(points(i, c)))
        invalid("feature " + std::to_string(c) + " of point " + std::to_string(i) + " is " +
                describe(points(i, c)));
}

void streaming_kmeans::check_point(const Eigen::Ref<const Eigen::VectorXd>& point,
                                   const char* context) const {
  if (point.size() != dim())
    invalid(std::string(context) + ": the point has " + std::to_string(point.size()) +
            " features, the model " + std::to_string(dim()));
  for (Eigen::Index c = 0; c < point.size(); ++c)
    if (!std::isfinite(point[c]))
      invalid(std::string(context) + ": feature " + std::to_string(c) + " is " +
              describe(point[c]));
}

kmeans_update_report streaming_kmeans::update(const Eigen::Ref<const Eigen::MatrixXd>& points) {
  check_points(points);
  auto& centres = state_.centres;
  auto& weights = state_.weights;
  const Eigen::Index k = centres.rows(), m = points.rows();

  // Assign with the centres from before this update; sum per cluster in row order.
  Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(k, dim());
  std::vector<std::int64_t> counts(static_cast<std::size_t>(k), 0);
  kmeans_update_report report;
  for (Eigen::Index i = 0; i < m; ++i) {
    auto nearest = nearest_to(points.row(i), centres);
    report.cost += nearest.squared_distance;
    auto j = nearest.index;
    for (Eigen::Index c = 0; c < dim(); ++c)
      sums(j, c) += points(i, c);
    ++counts[static_cast<std::size_t>(j)];
  }

  report.points = m;
  report.discount = options_.unit == time_unit::batches ? decay_
                                                          : std::pow(decay_, static_cast<double>(m));
  for (Eigen::Index j = 0; j < k; ++j)
    weights[j] *= report.discount;

  for (Eigen::Index j = 0; j < k; ++j) {
    auto count = static_cast<double>(counts[static_cast<std::size_t>(j)]);
    if (count == 0)
      continue;
    double updated = weights[j] + count;
    double lambda = count / std::max(updated, min_weight);
    weights[j] = updated;
    // Two passes, as Spark's BLAS.scal then BLAS.axpy: each coordinate rounds twice.
    for (Eigen::Index c = 0; c < dim(); ++c)
      centres(j, c) = (1.0 - lambda) * centres(j, c);
    double scale = lambda / count;
    for (Eigen::Index c = 0; c < dim(); ++c)
      centres(j, c) = centres(j, c) + scale * sums(j, c);
  }

  split_dying_cluster(report);
  ++state_.version;
  return report;
}

void streaming_kmeans::split_dying_cluster(kmeans_update_report& report) {
  auto& weights = state_.weights;
  auto& centres = state_.centres;
  Eigen::Index largest = 0, smallest = 0;
  for (Eigen::Index j = 1; j < weights.size(); ++j) {  // strict: the first index wins ties
    if (weights[j] > weights[largest])
      largest = j;
    if (weights[j] < weights[smallest])
      smallest = j;
  }
  double max_weight = weights[largest], min_weight_now = weights[smallest];
  if (!(min_weight_now < dying_ratio * max_weight))
    return;
  double weight = (max_weight + min_weight_now) / 2.0;
  weights[largest] = weight;
  weights[smallest] = weight;
  for (Eigen::Index c = 0; c < dim(); ++c) {
    double x = centres(largest, c);
    double p = split_perturbation * std::max(std::abs(x), 1.0);
    centres(largest, c) = x + p;
    centres(smallest, c) = x - p;
  }
  report.split = true;
  report.dying = smallest;
  report.split_from = largest;
}

nearest_centre streaming_kmeans::nearest(const Eigen::Ref<const Eigen::VectorXd>& point) const {
  check_point(point, "predict");
  return nearest_to(point, state_.centres);
}

Eigen::Index streaming_kmeans::predict(const Eigen::Ref<const Eigen::VectorXd>& point) const {
  return nearest(point).index;
}

std::vector<Eigen::Index> streaming_kmeans::predict_all(
    const Eigen::Ref<const Eigen::MatrixXd>& points) const {
  check_points(points);
  std::vector<Eigen::Index> out;
  out.reserve(static_cast<std::size_t>(points.rows()));
  for (Eigen::Index i = 0; i < points.rows(); ++i)
    out.push_back(nearest_to(points.row(i), state_.centres).index);
  return out;
}

// -- state ---------------------------------------------------------------------------------------

nlohmann::json streaming_kmeans::to_json() const {
  auto j = json_header(model_kind::streaming_kmeans);
  j["version"] = state_.version;
  auto centres = nlohmann::json::array();
  for (Eigen::Index r = 0; r < state_.centres.rows(); ++r)
    centres.push_back(doubles_to_json(state_.centres.row(r).transpose()));
  j["centres"] = std::move(centres);
  j["weights"] = doubles_to_json(state_.weights);
  return j;
}

state_status streaming_kmeans::from_json(const nlohmann::json& json) {
  kmeans_state loaded;
  auto status = capture_state_errors("streaming_kmeans::from_json", [&] {
    check_json_header(json, model_kind::streaming_kmeans);
    loaded.version = json.at("version").get<std::uint64_t>();
    const auto& centres = json.at("centres");
    if (!centres.is_array() || centres.size() != static_cast<std::size_t>(k()))
      throw state_format_error(state_errc::shape_mismatch,
                               "centres must be an array of " + std::to_string(k()) + " centres");
    loaded.centres.resize(k(), dim());
    for (Eigen::Index r = 0; r < k(); ++r)
      loaded.centres.row(r) = doubles_from_json(centres[static_cast<std::size_t>(r)], dim(),
                                                "centre " + std::to_string(r)).transpose();
    loaded.weights = doubles_from_json(json.at("weights"), k(), "weights");
    try {
      check_state(loaded);
    } catch (const std::invalid_argument& e) {
      throw state_format_error(state_errc::bad_value, e.what());
    }
  });
  if (status.ok())
    state_ = std::move(loaded);
  return status;
}

void streaming_kmeans::save_state(std::string& out) const {
  state_writer w(out, model_kind::streaming_kmeans);
  w.u64(state_.version);
  w.u64(static_cast<std::uint64_t>(k()));
  w.u64(static_cast<std::uint64_t>(dim()));
  for (Eigen::Index r = 0; r < state_.centres.rows(); ++r)
    w.f64s(state_.centres.row(r).transpose());
  w.f64s(state_.weights);
  w.finish();
}

state_status streaming_kmeans::load_state(std::string_view bytes) {
  kmeans_state loaded;
  auto status = capture_state_errors("streaming_kmeans::load_state", [&] {
    state_reader r(bytes, model_kind::streaming_kmeans);
    loaded.version = r.u64();
    auto k_saved = r.u64();
    auto dim_saved = r.u64();
    if (k_saved != static_cast<std::uint64_t>(k()) ||
        dim_saved != static_cast<std::uint64_t>(dim()))
      throw state_format_error(state_errc::shape_mismatch,
                               "the state has k=" + std::to_string(k_saved) + " and dimension " +
                                   std::to_string(dim_saved) + ", the model k=" +
                                   std::to_string(k()) + " and dimension " +
                                   std::to_string(dim()));
    loaded.centres.resize(k(), dim());
    for (Eigen::Index row = 0; row < k(); ++row)
      loaded.centres.row(row) = r.f64s(dim()).transpose();
    loaded.weights = r.f64s(k());
    r.finish();
    try {
      check_state(loaded);
    } catch (const std::invalid_argument& e) {
      throw state_format_error(state_errc::bad_value, e.what());
    }
  });
  if (status.ok())
    state_ = std::move(loaded);
  return status;
}

}  // namespace sluice::ml
