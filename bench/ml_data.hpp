// The synthetic data sets of bench_ml and the held-out scores of the models trained on them.
// Training rows are written as the CSV the ML examples read ("f1,...,fd" for k-means,
// "f1,...,fd,label" for logistic regression); held-out rows stay in memory. One scoring code for
// Sluice's and scikit-learn's final models, so their accuracies are comparable. Seeded: the same
// flags give the same data in every run.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace sluice::bench {

/// Row-major rows of `cols` doubles.
struct rows {
  std::size_t cols = 0;
  std::vector<double> values;
  std::size_t size() const { return cols ? values.size() / cols : 0; }
  const double* row(std::size_t i) const { return values.data() + i * cols; }
};

enum class ml_task { kmeans, logistic };

struct ml_dataset {
  ml_task task = ml_task::kmeans;
  std::size_t dim = 0;
  std::size_t train_rows = 0;
  uint64_t train_bytes = 0;
  rows test;                        ///< held-out features
  std::vector<double> test_labels;  ///< logistic: 0 or 1
  rows true_centres;                ///< k-means: the blobs' centres
  rows initial_centres;             ///< k-means: where both sides start (k-means++ on batch 1)
  std::vector<double> true_weights; ///< logistic: the labelling hyperplane
  double true_intercept = 0;
};

/// k-means: k Gaussian blobs (unit variance) around centres uniform in [-10, 10]^d, every point's
/// blob drawn uniformly. Logistic: x ~ N(0, I), label = [w·x + b + e > 0] with |w| = 4, b = 0.5
/// and noise e ~ N(0, 1): linearly separable but for the noise (the true hyperplane scores about
/// 0.92 on held-out rows).
class ml_data_generator {
 public:
  ml_data_generator(ml_task task, std::size_t dim, std::size_t k, uint64_t seed)
      : task_(task), dim_(dim), engine_(seed) {
    if (task == ml_task::kmeans) {
      centres_.cols = dim;
      std::uniform_real_distribution<double> u(-10, 10);
      for (std::size_t i = 0; i < k * dim; ++i)
        centres_.values.push_back(u(engine_));
    } else {
      double norm = 0;
      for (std::size_t j = 0; j < dim; ++j) {
        weights_.push_back(normal_(engine_));
        norm += weights_.back() * weights_.back();
      }
      for (auto& w : weights_)
        w *= 4 / std::sqrt(norm);
    }
  }

  /// One example: features into `x`, returns the label (0 for k-means).
  double next(std::vector<double>& x) {
    x.resize(dim_);
    if (task_ == ml_task::kmeans) {
      auto blob = std::uniform_int_distribution<std::size_t>(0, centres_.size() - 1)(engine_);
      for (std::size_t j = 0; j < dim_; ++j)
        x[j] = centres_.row(blob)[j] + normal_(engine_);
      return 0;
    }
    double margin = intercept_;
    for (std::size_t j = 0; j < dim_; ++j) {
      x[j] = normal_(engine_);
      margin += weights_[j] * x[j];
    }
    return margin + normal_(engine_) > 0 ? 1 : 0;
  }

  const rows& centres() const { return centres_; }
  const std::vector<double>& weights() const { return weights_; }
  double intercept() const { return intercept_; }

 private:
  ml_task task_;
  std::size_t dim_;
  std::mt19937_64 engine_;
  std::normal_distribution<double> normal_;
  rows centres_;
  std::vector<double> weights_;
  double intercept_ = 0.5;
};

inline double squared_distance(const double* a, const double* b, std::size_t n) {
  double d = 0;
  for (std::size_t j = 0; j < n; ++j)
    d += (a[j] - b[j]) * (a[j] - b[j]);
  return d;
}

inline double nearest_squared_distance(const rows& centres, const double* x) {
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t c = 0; c < centres.size(); ++c)
    best = std::min(best, squared_distance(centres.row(c), x, centres.cols));
  return best;
}

/// k-means++ seeding (D² sampling) over `points`: the initial centres both sides start from, so
/// their final costs differ only by their update rules, not by luck of initialization.
inline rows kmeans_plus_plus(const rows& points, std::size_t k, uint64_t seed) {
  std::mt19937_64 engine(seed);
  rows c;
  c.cols = points.cols;
  auto add = [&](std::size_t i) { c.values.insert(c.values.end(), points.row(i), points.row(i) + points.cols); };
  add(std::uniform_int_distribution<std::size_t>(0, points.size() - 1)(engine));
  std::vector<double> d2(points.size());
  while (c.size() < k) {
    for (std::size_t i = 0; i < points.size(); ++i)
      d2[i] = nearest_squared_distance(c, points.row(i));
    add(std::discrete_distribution<std::size_t>(d2.begin(), d2.end())(engine));
  }
  return c;
}

/// Mean squared distance of the held-out points to their nearest centre.
inline double kmeans_cost_per_point(const rows& centres, const rows& test) {
  double sum = 0;
  for (std::size_t i = 0; i < test.size(); ++i)
    sum += nearest_squared_distance(centres, test.row(i));
  return sum / static_cast<double>(test.size());
}

struct classifier_score {
  double accuracy = 0;
  double log_loss = 0;
};

/// Held-out accuracy (label 1 when p > 0.5, as Spark) and log-loss (p clipped to 1e-15).
inline classifier_score score_classifier(const std::vector<double>& w, double b, const rows& test,
                                         const std::vector<double>& labels) {
  classifier_score s;
  for (std::size_t i = 0; i < test.size(); ++i) {
    double margin = b;
    for (std::size_t j = 0; j < test.cols; ++j)
      margin += w[j] * test.row(i)[j];
    double p = std::clamp(1 / (1 + std::exp(-margin)), 1e-15, 1 - 1e-15);
    s.accuracy += (p > 0.5 ? 1.0 : 0.0) == labels[i] ? 1 : 0;
    s.log_loss -= labels[i] == 1 ? std::log(p) : std::log(1 - p);
  }
  s.accuracy /= static_cast<double>(test.size());
  s.log_loss /= static_cast<double>(test.size());
  return s;
}

inline void append_number(std::string& out, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 6);
  out.append(buf, r.ptr);
}

/// Writes `train_rows` training rows to `csv` (six significant digits, as data exported by a
/// typical tool) and keeps `test_rows` held-out rows; for k-means also picks the initial centres
/// by k-means++ over the first `batch_size` training points.
inline ml_dataset make_ml_dataset(ml_task task, std::size_t dim, std::size_t k,
                                  std::size_t train_rows, std::size_t test_rows,
                                  std::size_t batch_size, uint64_t seed, const std::string& csv) {
  ml_data_generator gen(task, dim, k, seed);
  ml_dataset d;
  d.task = task;
  d.dim = dim;
  d.train_rows = train_rows;
  d.true_centres = gen.centres();
  d.true_weights = gen.weights();
  d.true_intercept = gen.intercept();
  rows first_batch;
  first_batch.cols = dim;
  std::ofstream out(csv, std::ios::binary);
  std::string line;
  std::vector<double> x;
  for (std::size_t i = 0; i < train_rows; ++i) {
    double label = gen.next(x);
    line.clear();
    for (std::size_t j = 0; j < dim; ++j) {
      if (j)
        line += ',';
      append_number(line, x[j]);
    }
    if (task == ml_task::logistic)
      line += label ? ",1" : ",0";
    line += '\n';
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
    d.train_bytes += line.size();
    if (i < batch_size)
      first_batch.values.insert(first_batch.values.end(), x.begin(), x.end());
  }
  if (!out.flush())
    throw std::runtime_error("cannot write '" + csv + "'");
  d.test.cols = dim;
  for (std::size_t i = 0; i < test_rows; ++i) {
    d.test_labels.push_back(gen.next(x));
    d.test.values.insert(d.test.values.end(), x.begin(), x.end());
  }
  if (task == ml_task::kmeans)
    d.initial_centres = kmeans_plus_plus(first_batch, k, seed + 1);
  return d;
}

}  // namespace sluice::bench
