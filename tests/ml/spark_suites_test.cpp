// Spark MLlib's own test suites for its streaming models (StreamingKMeansSuite,
// StreamingLinearRegressionSuite, StreamingLogisticRegressionSuite, and pyspark's four-centre
// k-means case), reproduced case by case: same sizes, parameters, data generators and
// tolerances. Spark draws its data from Scala/Java generators; here the same distributions come
// from a seeded mt19937_64, so the cases check the same properties on data of the same shape.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <random>
#include <vector>

#include "ml/streaming_kmeans.hpp"
#include "ml/streaming_regression.hpp"
#include "support.hpp"

using sluice::ml::kmeans_options;
using sluice::ml::labeled_batch;
using sluice::ml::logistic_regression_options;
using sluice::ml::sgd_options;
using sluice::ml::streaming_kmeans;
using sluice::ml::streaming_linear_regression;
using sluice::ml::streaming_logistic_regression;
using sluice::ml::time_unit;
using sluice::ml::test::rows;
using sluice::ml::test::vec;

namespace {

/// Spark's StreamingKMeansDataGenerator: k true centres with standard normal coordinates (or
/// the given ones), then `batches` batches of `points` points, point i drawn around centre
/// i mod k with standard deviation r per coordinate.
struct kmeans_data {
  std::vector<Eigen::VectorXd> centres;
  std::vector<Eigen::MatrixXd> batches;
};

kmeans_data generate_kmeans_data(int points, int batches, int k, int d, double r,
                                 std::uint64_t seed,
                                 std::vector<Eigen::VectorXd> given_centres = {}) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  kmeans_data data;
  data.centres = std::move(given_centres);
  if (data.centres.empty())
    for (int j = 0; j < k; ++j) {
      Eigen::VectorXd c(d);
      for (int x = 0; x < d; ++x)
        c[x] = normal(rng);
      data.centres.push_back(c);
    }
  for (int b = 0; b < batches; ++b) {
    Eigen::MatrixXd batch(points, d);
    for (int i = 0; i < points; ++i)
      for (int x = 0; x < d; ++x)
        batch(i, x) = data.centres[static_cast<std::size_t>(i % k)][x] + normal(rng) * r;
    data.batches.push_back(batch);
  }
  return data;
}

double max_abs_difference(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return (a - b).cwiseAbs().maxCoeff();
}

/// Spark's LinearDataGenerator.generateLinearInput: features uniform in [-1, 1) (mean 0,
/// variance 1/3), label w . x + intercept + eps * N(0, 1).
labeled_batch generate_linear_input(double intercept, const Eigen::VectorXd& w, int points,
                                    std::uint64_t seed, double eps = 0.1) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  labeled_batch b{Eigen::MatrixXd(points, w.size()), Eigen::VectorXd(points)};
  for (int i = 0; i < points; ++i) {
    for (Eigen::Index j = 0; j < w.size(); ++j)
      b.features(i, j) = uniform(rng);
    b.labels[i] = b.features.row(i).dot(w) + intercept + eps * normal(rng);
  }
  return b;
}

/// Spark's LogisticRegressionSuite.generateLogisticInput: x ~ N(0, 1), label 1 with
/// probability 1 / (1 + exp(-(offset + scale * x))).
labeled_batch generate_logistic_input(double offset, double scale, int points,
                                      std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  labeled_batch b{Eigen::MatrixXd(points, 1), Eigen::VectorXd(points)};
  for (int i = 0; i < points; ++i)
    b.features(i, 0) = normal(rng);
  for (int i = 0; i < points; ++i) {
    double p = 1.0 / (1.0 + std::exp(-(offset + scale * b.features(i, 0))));
    b.labels[i] = uniform(rng) < p ? 1.0 : 0.0;
  }
  return b;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(spark_streaming_kmeans_suite)

BOOST_AUTO_TEST_CASE(a_single_centre_without_decay_ends_at_the_grand_mean_of_all_points) {
  const int batches = 10, points = 50, k = 1, d = 5;
  auto data = generate_kmeans_data(points, batches, k, d, 0.1, 42);
  streaming_kmeans model({.k = 1, .decay_factor = 1.0}, Eigen::MatrixXd::Zero(1, d),
                         vec({0.0}));
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(d);
  for (const auto& batch : data.batches) {
    model.update(batch);
    sum += batch.colwise().sum().transpose();
  }
  Eigen::VectorXd centre = model.centres().row(0).transpose();
  BOOST_TEST(max_abs_difference(centre, data.centres[0]) < 1e-1);
  BOOST_TEST(max_abs_difference(centre, sum / (batches * points)) < 1e-5);
  BOOST_TEST(model.version() == 10u);
}

BOOST_AUTO_TEST_CASE(two_centres_with_a_half_life_of_two_batches_end_near_the_true_centres) {
  const int batches = 10, points = 5, k = 2, d = 5;
  auto data = generate_kmeans_data(points, batches, k, d, 0.1, 42);
  streaming_kmeans model({.k = 2, .half_life = 2.0, .unit = time_unit::batches},
                         rows({{-0.1, 0.1, -0.2, -0.3, -0.1}, {0.1, -0.2, 0.0, 0.2, 0.1}}),
                         vec({5.0, 5.0}));
  for (const auto& batch : data.batches)
    model.update(batch);
  // As in Spark: cluster order is arbitrary, so pair centre 0 with the nearer true centre.
  Eigen::VectorXd c0 = model.centres().row(0).transpose();
  Eigen::VectorXd c1 = model.centres().row(1).transpose();
  bool straight = (c0 - data.centres[0]).squaredNorm() < (c0 - data.centres[1]).squaredNorm();
  const auto& t0 = straight ? data.centres[0] : data.centres[1];
  const auto& t1 = straight ? data.centres[1] : data.centres[0];
  BOOST_TEST(max_abs_difference(c0, t0) < 1e-1);
  BOOST_TEST(max_abs_difference(c1, t1) < 1e-1);
}

BOOST_AUTO_TEST_CASE(a_dying_cluster_is_split_so_the_centres_end_on_opposite_sides_of_zero) {
  // Every point is around 0; the cluster at 1000 gets none, and with a half-life of half a
  // point its weight dies within the first batch, so the cluster at 0 is split in two.
  auto data = generate_kmeans_data(5, 10, 1, 1, 1.0, 42, {vec({0.0})});
  streaming_kmeans model({.k = 2, .half_life = 0.5, .unit = time_unit::points},
                         rows({{0.0}, {1000.0}}), vec({1.0, 1.0}));
  bool split = false;
  for (const auto& batch : data.batches)
    split = model.update(batch).split || split;
  BOOST_TEST(split);
  double c0 = model.centres()(0, 0), c1 = model.centres()(1, 0);
  BOOST_TEST(c0 * c1 < 0.0, "one centre should be positive and one negative: " << c0 << ", " << c1);
  // 0.8 is the mean of the half-normal distribution.
  BOOST_TEST(std::abs(std::abs(c0) - 0.8) < 0.6);
  BOOST_TEST(std::abs(std::abs(c1) - 0.8) < 0.6);
}

BOOST_AUTO_TEST_CASE(four_centres_fed_symmetric_offsets_stay_put_and_weigh_five_each) {
  // pyspark's test_trainOn_model: each batch holds one point per centre, all moved by the same
  // tiny offset; the four offsets cancel, so after four batches every centre is back in place.
  const auto centres = rows({{1.0, 1.0}, {-1.0, 1.0}, {-1.0, -1.0}, {1.0, -1.0}});
  streaming_kmeans model({.k = 4, .decay_factor = 1.0}, centres, vec({1.0, 1.0, 1.0, 1.0}));
  for (auto offset : {vec({0.0, 0.1}), vec({0.0, -0.1}), vec({0.1, 0.0}), vec({-0.1, 0.0})}) {
    Eigen::MatrixXd batch = centres;
    batch.rowwise() += offset.transpose();
    model.update(batch);
  }
  BOOST_TEST((model.centres() - centres).cwiseAbs().maxCoeff() < 1e-12);
  for (Eigen::Index j = 0; j < 4; ++j)
    BOOST_TEST(model.weights()[j] == 5.0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(spark_streaming_regression_suites)

BOOST_AUTO_TEST_CASE(linear_regression_with_step_0_2_and_25_iterations_finds_weights_10_10) {
  streaming_linear_regression model(
      Eigen::VectorXd::Zero(2),
      {.step_size = 0.2, .iterations = 25, .convergence_tol = 0.0001});
  for (int i = 0; i < 10; ++i)
    model.update(generate_linear_input(0.0, vec({10.0, 10.0}), 100,
                                       42u * static_cast<std::uint64_t>(i + 1)));
  BOOST_TEST(std::abs(model.intercept()) < 0.1);
  BOOST_TEST(std::abs(model.weights()[0] - 10.0) < 0.1, "w0 = " << model.weights()[0]);
  BOOST_TEST(std::abs(model.weights()[1] - 10.0) < 0.1, "w1 = " << model.weights()[1]);
  BOOST_TEST(model.version() == 10u);
}

BOOST_AUTO_TEST_CASE(logistic_regression_with_step_0_2_and_25_iterations_finds_weight_1_5) {
  const double truth = 1.5;
  logistic_regression_options options{.sgd = {.step_size = 0.2, .iterations = 25}};
  streaming_logistic_regression model(Eigen::VectorXd::Zero(1), options);
  for (int i = 0; i < 20; ++i)
    model.update(generate_logistic_input(0.0, truth, 100, 42u * static_cast<std::uint64_t>(i + 1)));
  BOOST_TEST(std::abs(model.weights()[0] - truth) <= 0.1 * truth, "w = " << model.weights()[0]);
}

BOOST_AUTO_TEST_SUITE_END()
