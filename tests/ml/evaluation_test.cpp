#include "ml/evaluation.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <stdexcept>

#include "support.hpp"

using sluice::ml::classification;
using sluice::ml::classification_evaluator;
using sluice::ml::kmeans_cost;
using sluice::ml::kmeans_cost_evaluator;
using sluice::ml::mse_evaluator;
using sluice::ml::streaming_kmeans;
using sluice::ml::streaming_linear_regression;
using sluice::ml::streaming_logistic_regression;
using sluice::ml::test_then_train;
using sluice::ml::test::rows;
using sluice::ml::test::state_bytes;
using sluice::ml::test::vec;

BOOST_AUTO_TEST_SUITE(prequential_evaluation)

BOOST_AUTO_TEST_CASE(metrics_are_empty_before_the_first_example) {
  BOOST_TEST(!mse_evaluator{}.mse().has_value());
  BOOST_TEST(!classification_evaluator{}.accuracy().has_value());
  BOOST_TEST(!classification_evaluator{}.log_loss().has_value());
  BOOST_TEST(!kmeans_cost_evaluator{}.mean_cost().has_value());
}

BOOST_AUTO_TEST_CASE(the_running_mse_is_the_mean_of_squared_errors) {
  mse_evaluator e;
  e.add(1, 2);
  e.add(3, 0);
  BOOST_TEST(e.count() == 2u);
  BOOST_TEST(*e.mse() == 5.0);
}

BOOST_AUTO_TEST_CASE(each_batch_is_scored_by_the_model_before_it_trains_on_it) {
  streaming_linear_regression model(vec({0}), {.iterations = 1});
  mse_evaluator e;
  sluice::ml::labeled_batch batch{rows({{1}, {2}}), vec({2, 4})};
  auto report = test_then_train(model, e, batch);
  BOOST_TEST(*e.mse() == (4.0 + 16.0) / 2);  // predictions of the untrained model: 0, 0
  BOOST_TEST(report.steps == 1);
  BOOST_TEST(model.version() == 1u);
  test_then_train(model, e, batch);
  BOOST_TEST(e.count() == 4u);
  BOOST_TEST(*e.mse() < 10.0);  // the second pass is scored by the trained model
  BOOST_CHECK_THROW(e.test(model, {rows({{1}}), vec({NAN})}), std::invalid_argument);
  BOOST_CHECK_THROW(e.test(model, {rows({{1, 2}}), vec({1})}), std::invalid_argument);
  BOOST_TEST(e.count() == 4u);
}

BOOST_AUTO_TEST_CASE(accuracy_counts_predicted_labels_and_log_loss_averages_minus_log_p) {
  classification_evaluator e;
  e.add(classification{1, 0.8}, 1);
  e.add(classification{1, 0.6}, 0);
  e.add(classification{0, 0.1}, 0);
  e.add(classification{0, 0.3}, 1);
  BOOST_TEST(*e.accuracy() == 0.5);
  double expected = -(std::log(0.8) + std::log(0.4) + std::log(0.9) + std::log(0.3)) / 4;
  BOOST_TEST(std::abs(*e.log_loss() - expected) < 1e-15);
}

BOOST_AUTO_TEST_CASE(a_certain_mistake_costs_a_bounded_log_loss) {
  classification_evaluator e;
  e.add(classification{0, 0.0}, 1);
  BOOST_TEST(std::isfinite(*e.log_loss()));
  BOOST_TEST(std::abs(*e.log_loss() + std::log(classification_evaluator::epsilon)) < 1e-9);
  BOOST_CHECK_THROW(e.add(classification{0, 0.5}, 2), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(the_classification_evaluator_scores_a_logistic_model_on_a_batch) {
  streaming_logistic_regression model(vec({1}));
  classification_evaluator e;
  sluice::ml::labeled_batch batch{rows({{2}, {-2}, {1}}), vec({1, 0, 0})};
  auto before = state_bytes(model);
  test_then_train(model, e, batch);
  BOOST_TEST(e.count() == 3u);
  BOOST_TEST(e.correct() == 2u);
  BOOST_TEST(state_bytes(model) != before);
  sluice::ml::labeled_batch bad{rows({{2}, {1}}), vec({1, 3})};
  BOOST_CHECK_THROW(e.test(model, bad), std::invalid_argument);
  BOOST_TEST(e.count() == 3u);  // nothing of the rejected batch was counted
}

BOOST_AUTO_TEST_CASE(the_kmeans_cost_sums_squared_distances_to_the_nearest_centre) {
  streaming_kmeans model({.k = 2}, rows({{0, 0}, {10, 0}}), vec({1, 1}));
  auto points = rows({{1, 1}, {9, 0}, {5, 0}});
  BOOST_TEST(kmeans_cost(model, points) == 2.0 + 1.0 + 25.0);
  kmeans_cost_evaluator e;
  BOOST_TEST(test_then_train(model, e, points).points == 3);
  BOOST_TEST(e.total_cost() == 28.0);
  BOOST_TEST(e.count() == 3u);
  BOOST_TEST(*e.mean_cost() == 28.0 / 3);
  BOOST_CHECK_THROW(e.test(model, rows({{1, 2, 3}})), std::invalid_argument);
  BOOST_TEST(e.count() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
