#include "ml/streaming_regression.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "support.hpp"

using sluice::ml::labeled_batch;
using sluice::ml::logistic_regression_options;
using sluice::ml::sgd_options;
using sluice::ml::streaming_linear_regression;
using sluice::ml::streaming_logistic_regression;
using sluice::ml::test::rows;
using sluice::ml::test::same_bits;
using sluice::ml::test::state_bytes;
using sluice::ml::test::vec;

namespace {

/// Spark's runMiniBatchSGD on every row (mini_batch_fraction 1), written out with plain loops:
/// the gradient summed row by row, divided by the count, the L2 shrink (logistic) before the
/// step of step / sqrt(i). `w` holds the intercept last when `intercept`; it is not shrunk.
std::vector<double> reference_sgd(std::vector<double> w, const Eigen::MatrixXd& x,
                                  const Eigen::VectorXd& y, int iterations, double step_size,
                                  bool logistic, double reg, bool intercept) {
  const std::size_t d = static_cast<std::size_t>(x.cols());
  for (int i = 1; i <= iterations; ++i) {
    std::vector<double> sum(w.size(), 0.0);
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
      std::vector<double> row(w.size(), 1.0);
      for (std::size_t j = 0; j < d; ++j)
        row[j] = x(r, static_cast<Eigen::Index>(j));
      double dot = 0;
      for (std::size_t j = 0; j < w.size(); ++j)
        dot += row[j] * w[j];
      double multiplier = logistic ? 1.0 / (1.0 + std::exp(-dot)) - y[r] : dot - y[r];
      for (std::size_t j = 0; j < w.size(); ++j)
        sum[j] += multiplier * row[j];
    }
    double step = step_size / std::sqrt(static_cast<double>(i));
    for (std::size_t j = 0; j < w.size(); ++j) {
      if (logistic && !(intercept && j == d))
        w[j] = (1.0 - step * reg) * w[j];
      w[j] = w[j] - step * (sum[j] / static_cast<double>(x.rows()));
    }
  }
  return w;
}

double uniform(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * (static_cast<double>(rng() >> 11) * 0x1.0p-53);
}

/// Rows with features uniform in [-3, 3) and labels exactly w . x + b.
labeled_batch linear_batch(std::mt19937_64& rng, Eigen::Index n, const Eigen::VectorXd& w,
                           double b) {
  labeled_batch batch{Eigen::MatrixXd(n, w.size()), Eigen::VectorXd(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < w.size(); ++j)
      batch.features(i, j) = uniform(rng, -3, 3);
    batch.labels[i] = batch.features.row(i).dot(w) + b;
  }
  return batch;
}

/// Two clouds, label 1 around (1.5, 1.5) and label 0 around (-1.5, -1.5), noise in [-1.5, 1.5).
labeled_batch two_clouds(std::mt19937_64& rng, Eigen::Index n) {
  labeled_batch batch{Eigen::MatrixXd(n, 2), Eigen::VectorXd(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    double label = static_cast<double>(rng() % 2);
    double centre = label == 1 ? 1.5 : -1.5;
    batch.features(i, 0) = centre + uniform(rng, -1.5, 1.5);
    batch.features(i, 1) = centre + uniform(rng, -1.5, 1.5);
    batch.labels[i] = label;
  }
  return batch;
}

template <class F>
void expect_invalid(F&& f, const std::string& fragment) {
  try {
    f();
    BOOST_ERROR("no exception; expected one mentioning: " << fragment);
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find(fragment) != std::string::npos,
               "message \"" << e.what() << "\" lacks \"" << fragment << "\"");
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(streaming_regression_sgd_steps)

BOOST_AUTO_TEST_CASE(one_least_squares_step_is_the_mean_gradient_times_the_step_size) {
  // Residuals at w = 0 are -1 and -2: gradient sum -1 * (1, 2) - 2 * (3, -1) = (-7, 0), mean
  // (-3.5, 0), so w = (0.35, 0).
  streaming_linear_regression model(vec({0, 0}), {.iterations = 1});
  auto report = model.update({rows({{1, 2}, {3, -1}}), vec({1, 2})});
  BOOST_TEST(report.steps == 1);
  BOOST_TEST(std::abs(model.weights()[0] - 0.35) < 1e-15);
  BOOST_TEST(model.weights()[1] == 0.0);
}

BOOST_AUTO_TEST_CASE(two_least_squares_steps_use_step_over_sqrt_2_for_the_second) {
  // Second step from (0.35, 0): residuals -0.65, -0.95, mean gradient (-1.75, -0.175), step
  // 0.1 / sqrt(2): w = (0.35 + 0.175 / sqrt(2), 0.0175 / sqrt(2)).
  streaming_linear_regression model(vec({0, 0}), {.iterations = 2, .convergence_tol = 0});
  model.update({rows({{1, 2}, {3, -1}}), vec({1, 2})});
  BOOST_TEST(std::abs(model.weights()[0] - (0.35 + 0.175 / std::sqrt(2.0))) < 1e-12);
  BOOST_TEST(std::abs(model.weights()[1] - 0.0175 / std::sqrt(2.0)) < 1e-12);
}

BOOST_AUTO_TEST_CASE(linear_updates_match_the_plain_loop_reference_bit_for_bit) {
  auto x = rows({{0.5, -1.25, 2}, {1.5, 0.25, -0.75}, {-2, 1, 0.125}, {0.3, 0.7, -0.1}});
  auto y = vec({1.1, -0.4, 2.3, 0.05});
  for (int iterations : {1, 2}) {
    for (bool intercept : {false, true}) {
      streaming_linear_regression model(vec({0.1, -0.2, 0.3}),
                                        {.step_size = 0.7,
                                         .iterations = iterations,
                                         .convergence_tol = 0,
                                         .fit_intercept = intercept},
                                        intercept ? 0.4 : 0.0);
      model.update(x, y);
      std::vector<double> w0 = {0.1, -0.2, 0.3};
      if (intercept)
        w0.push_back(0.4);
      auto expected = reference_sgd(w0, x, y, iterations, 0.7, false, 0, intercept);
      for (std::size_t j = 0; j < 3; ++j)
        BOOST_TEST(same_bits(model.weights()[static_cast<Eigen::Index>(j)], expected[j]),
                   "weight " << j << " after " << iterations << " iterations");
      BOOST_TEST(same_bits(model.intercept(), intercept ? expected[3] : 0.0));
    }
  }
}

BOOST_AUTO_TEST_CASE(logistic_updates_with_l2_match_the_reference_and_leave_the_intercept_unshrunk) {
  auto x = rows({{0.5, -1.25}, {1.5, 0.25}, {-2, 1}, {0.3, 0.7}});
  auto y = vec({1, 0, 0, 1});
  for (int iterations : {1, 2}) {
    streaming_logistic_regression model(
        vec({0.8, -0.6}),
        {.sgd = {.step_size = 0.5, .iterations = iterations, .convergence_tol = 0,
                 .fit_intercept = true},
         .reg_param = 0.3},
        0.9);
    model.update(x, y);
    auto expected = reference_sgd({0.8, -0.6, 0.9}, x, y, iterations, 0.5, true, 0.3, true);
    BOOST_TEST(same_bits(model.weights()[0], expected[0]));
    BOOST_TEST(same_bits(model.weights()[1], expected[1]));
    BOOST_TEST(same_bits(model.intercept(), expected[2]));
  }
}

BOOST_AUTO_TEST_CASE(batches_of_more_than_eight_rows_match_the_reference_bit_for_bit) {
  // The gradient takes examples eight at a time: 11 rows make a full group and a partial one.
  std::mt19937_64 rng(5);
  Eigen::MatrixXd x(11, 5);
  Eigen::VectorXd y(11);
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    for (Eigen::Index j = 0; j < x.cols(); ++j)
      x(r, j) = uniform(rng, -2, 2);
    y[r] = static_cast<double>(rng() % 2);
  }
  const sluice::ml::sgd_options o{.step_size = 0.3, .iterations = 5, .convergence_tol = 0,
                                  .fit_intercept = true};
  auto check = [](const auto& model, const std::vector<double>& expected) {
    for (Eigen::Index j = 0; j < 5; ++j)
      BOOST_TEST(same_bits(model.weights()[j], expected[static_cast<std::size_t>(j)]), "weight " << j);
    BOOST_TEST(same_bits(model.intercept(), expected[5]));
  };
  const std::vector<double> w0 = {0.1, -0.2, 0.3, 0.05, -0.4, 0.25};  // the intercept last
  streaming_linear_regression linear(vec({0.1, -0.2, 0.3, 0.05, -0.4}), o, 0.25);
  linear.update(x, y);
  check(linear, reference_sgd(w0, x, y, 5, 0.3, false, 0, true));
  streaming_logistic_regression logistic(vec({0.1, -0.2, 0.3, 0.05, -0.4}),
                                         {.sgd = o, .reg_param = 0.1}, 0.25);
  logistic.update(x, y);
  check(logistic, reference_sgd(w0, x, y, 5, 0.3, true, 0.1, true));
}

BOOST_AUTO_TEST_CASE(an_l2_step_with_step_times_reg_of_one_keeps_only_the_gradient_step) {
  // shrink = 1 - 0.5 * 2 = 0: the feature weight forgets its old value, the intercept does not.
  streaming_logistic_regression model(
      vec({5}), {.sgd = {.step_size = 0.5, .iterations = 1, .fit_intercept = true}, .reg_param = 2},
      3.0);
  model.update(rows({{0}}), vec({1}));
  // Margin 3 + 0 = 3; gradient (sigmoid(3) - 1) * (0, 1).
  double g = 1.0 / (1.0 + std::exp(-3.0)) - 1.0;
  BOOST_TEST(model.weights()[0] == 0.0);
  BOOST_TEST(same_bits(model.intercept(), 3.0 - 0.5 * g));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(streaming_regression_convergence)

BOOST_AUTO_TEST_CASE(a_batch_stops_after_two_steps_when_they_differ_by_less_than_the_tolerance) {
  auto x = rows({{1, 2}, {3, -1}, {0.5, 0.5}});
  auto y = vec({1, 2, 0.3});
  streaming_linear_regression early(vec({0, 0}), {.iterations = 50, .convergence_tol = 1.0});
  auto report = early.update(x, y);
  BOOST_TEST(report.converged);
  BOOST_TEST(report.iterations == 2);  // the first step is never compared, as in Spark
  streaming_linear_regression two(vec({0, 0}), {.iterations = 2, .convergence_tol = 0});
  two.update(x, y);
  BOOST_TEST(same_bits(early.weights(), two.weights()));
}

BOOST_AUTO_TEST_CASE(a_zero_tolerance_runs_every_iteration) {
  streaming_linear_regression model(vec({0, 0}), {.iterations = 37, .convergence_tol = 0});
  auto report = model.update(rows({{1, 2}, {3, -1}}), vec({1, 2}));
  BOOST_TEST(!report.converged);
  BOOST_TEST(report.iterations == 37);
  BOOST_TEST(report.steps == 37);
}

BOOST_AUTO_TEST_CASE(the_default_tolerance_stops_once_steps_shrink_below_a_thousandth_of_the_weights) {
  std::mt19937_64 rng(3);
  streaming_linear_regression model(vec({0, 0}));
  auto batch = linear_batch(rng, 50, vec({2, -3}), 0);
  for (int b = 0; b < 30; ++b)
    model.update(batch);
  auto report = model.update(batch);  // already fitted: the steps are tiny
  BOOST_TEST(report.converged);
  BOOST_TEST(report.iterations < 50);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(streaming_regression_learning)

BOOST_AUTO_TEST_CASE(linear_regression_recovers_known_weights_and_intercept) {
  std::mt19937_64 rng(1);
  const auto truth = vec({2, -3, 0.5});
  streaming_linear_regression model(Eigen::VectorXd::Zero(3), {.fit_intercept = true});
  for (int b = 0; b < 200; ++b)
    model.update(linear_batch(rng, 40, truth, 1.25));
  BOOST_TEST((model.weights() - truth).cwiseAbs().maxCoeff() < 1e-3);
  BOOST_TEST(std::abs(model.intercept() - 1.25) < 1e-3);
  BOOST_TEST(std::abs(model.predict(vec({1, 1, 1})) - (2 - 3 + 0.5 + 1.25)) < 1e-2);
  BOOST_TEST(model.version() == 200u);
}

BOOST_AUTO_TEST_CASE(logistic_regression_separates_two_clouds) {
  std::mt19937_64 rng(2);
  streaming_logistic_regression model(Eigen::VectorXd::Zero(2), {.sgd = {.fit_intercept = true}});
  for (int b = 0; b < 50; ++b)
    model.update(two_clouds(rng, 40));
  auto test = two_clouds(rng, 1000);
  int correct = 0;
  for (Eigen::Index i = 0; i < test.features.rows(); ++i) {
    auto c = model.predict(test.features.row(i).transpose());
    BOOST_TEST_REQUIRE((c.label == (c.probability > 0.5 ? 1 : 0)));
    correct += c.label == static_cast<int>(test.labels[i]) ? 1 : 0;
  }
  BOOST_TEST(correct >= 970);
  BOOST_TEST(model.predict_probability(vec({3, 3})) > 0.9);
  BOOST_TEST(model.predict_probability(vec({-3, -3})) < 0.1);
}

BOOST_AUTO_TEST_CASE(the_threshold_decides_the_class_strictly_above_it) {
  streaming_logistic_regression model(vec({1}), {.threshold = 0.5});
  BOOST_TEST(model.predict(vec({0})).probability == 0.5);
  BOOST_TEST(model.predict(vec({0})).label == 0);
  BOOST_TEST(model.predict(vec({0.01})).label == 1);
  streaming_logistic_regression strict(vec({1}), {.threshold = 0.9});
  BOOST_TEST(strict.predict(vec({1})).label == 0);  // sigmoid(1) = 0.73
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(streaming_regression_sampling)

BOOST_AUTO_TEST_CASE(a_fraction_below_one_gives_the_same_weights_in_two_runs) {
  auto run = [](std::uint64_t seed, double fraction) {
    std::mt19937_64 rng(5);
    streaming_linear_regression model(Eigen::VectorXd::Zero(3),
                                      {.mini_batch_fraction = fraction, .seed = seed});
    for (int b = 0; b < 20; ++b)
      model.update(linear_batch(rng, 30, vec({1, 2, 3}), 0));
    return state_bytes(model);
  };
  BOOST_TEST(run(9, 0.3) == run(9, 0.3));
  BOOST_TEST(run(9, 0.3) != run(10, 0.3));  // the seed drives the sample
  BOOST_TEST(run(9, 0.3) != run(9, 1.0));   // and a sample is really drawn
}

BOOST_AUTO_TEST_CASE(an_iteration_whose_sample_is_empty_changes_nothing) {
  streaming_linear_regression model(vec({0.5}), {.mini_batch_fraction = 1e-12});
  auto report = model.update(rows({{1}, {2}}), vec({3, 4}));
  BOOST_TEST(report.iterations == 50);
  BOOST_TEST(report.steps == 0);
  BOOST_TEST(model.weights()[0] == 0.5);
  BOOST_TEST(model.version() == 1u);  // the batch was still applied
}

BOOST_AUTO_TEST_CASE(an_empty_batch_is_ignored_and_is_not_a_version) {
  streaming_linear_regression model(vec({0.5, 1}));
  auto report = model.update(Eigen::MatrixXd(0, 2), Eigen::VectorXd(0));
  BOOST_TEST(report.rows == 0);
  BOOST_TEST(report.iterations == 0);
  BOOST_TEST(model.version() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(streaming_regression_bad_input)

BOOST_AUTO_TEST_CASE(bad_options_and_initial_weights_are_rejected_with_a_message_naming_them) {
  expect_invalid([] { streaming_linear_regression(Eigen::VectorXd(0)); }, "at least one feature");
  expect_invalid([] { streaming_linear_regression(vec({NAN})); }, "initial weight 0 is NaN");
  expect_invalid([] { streaming_linear_regression(vec({1}), {.step_size = 0}); }, "step_size");
  expect_invalid([] { streaming_linear_regression(vec({1}), {.iterations = 0}); }, "iterations");
  expect_invalid([] { streaming_linear_regression(vec({1}), {.mini_batch_fraction = 0}); },
                 "mini_batch_fraction");
  expect_invalid([] { streaming_linear_regression(vec({1}), {.mini_batch_fraction = 1.5}); },
                 "mini_batch_fraction");
  expect_invalid([] { streaming_linear_regression(vec({1}), {.convergence_tol = 2}); },
                 "convergence_tol");
  expect_invalid([] { streaming_linear_regression(vec({1}), {}, 0.5); }, "needs fit_intercept");
  expect_invalid([] { streaming_logistic_regression(vec({1}), {.reg_param = -1}); }, "reg_param");
  expect_invalid([] { streaming_logistic_regression(vec({1}), {.threshold = 1.5}); }, "threshold");
}

BOOST_AUTO_TEST_CASE(a_bad_batch_is_rejected_and_leaves_the_model_unchanged) {
  streaming_logistic_regression model(vec({0.5, -0.5}));
  model.update(rows({{1, 2}}), vec({1}));
  auto before = state_bytes(model);
  expect_invalid([&] { model.update(rows({{1, 2, 3}}), vec({1})); },
                 "has 3 features per row, the model 2");
  expect_invalid([&] { model.update(rows({{1, 2}, {3, 4}}), vec({1})); }, "2 rows of features but 1 labels");
  expect_invalid([&] { model.update(rows({{1, 2}, {NAN, 4}}), vec({1, 0})); },
                 "feature 0 of row 1 is NaN");
  expect_invalid([&] { model.update(rows({{1, 2}}), vec({NAN})); }, "the label of row 0 is NaN");
  expect_invalid([&] { model.update(rows({{1, 2}, {3, 4}}), vec({1, 2})); }, "needs 0 or 1");
  expect_invalid([&] { model.predict(vec({1})); }, "the point has 1 features, the model 2");
  expect_invalid([&] { model.predict(vec({1, INFINITY})); }, "feature 1 is inf");
  BOOST_TEST(state_bytes(model) == before);
}

BOOST_AUTO_TEST_SUITE_END()
