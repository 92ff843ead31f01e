#include "ml/streaming_kmeans.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "ml/evaluation.hpp"
#include "support.hpp"

using sluice::ml::kmeans_options;
using sluice::ml::streaming_kmeans;
using sluice::ml::time_unit;
using sluice::ml::test::rows;
using sluice::ml::test::same_bits;
using sluice::ml::test::state_bytes;
using sluice::ml::test::vec;

namespace {

using points_t = std::vector<std::vector<double>>;

/// Spark's StreamingKMeansModel.update written out with plain loops, independently of the
/// model's code: the oracle the model must match bit for bit.
struct reference_kmeans {
  points_t centres;
  std::vector<double> weights;
  double a = 1.0;
  bool per_point = false;

  void update(const points_t& batch) {
    const std::size_t k = centres.size(), dim = centres[0].size();
    points_t sums(k, std::vector<double>(dim, 0.0));
    std::vector<long> counts(k, 0);
    for (const auto& p : batch) {
      std::size_t best = 0;
      double best_d = 0;
      for (std::size_t j = 0; j < k; ++j) {
        double d = 0;
        for (std::size_t c = 0; c < dim; ++c)
          d += (p[c] - centres[j][c]) * (p[c] - centres[j][c]);
        if (j == 0 || d < best_d) {
          best = j;
          best_d = d;
        }
      }
      for (std::size_t c = 0; c < dim; ++c)
        sums[best][c] += p[c];
      ++counts[best];
    }
    double discount = per_point ? std::pow(a, static_cast<double>(batch.size())) : a;
    for (auto& w : weights)
      w *= discount;
    for (std::size_t j = 0; j < k; ++j) {
      if (counts[j] == 0)
        continue;
      double m = static_cast<double>(counts[j]);
      double updated = weights[j] + m;
      double lambda = m / std::max(updated, 1e-16);
      weights[j] = updated;
      for (std::size_t c = 0; c < dim; ++c)
        centres[j][c] = (1 - lambda) * centres[j][c];
      for (std::size_t c = 0; c < dim; ++c)
        centres[j][c] += (lambda / m) * sums[j][c];
    }
    std::size_t largest = 0, smallest = 0;
    for (std::size_t j = 1; j < k; ++j) {
      if (weights[j] > weights[largest])
        largest = j;
      if (weights[j] < weights[smallest])
        smallest = j;
    }
    if (weights[smallest] < 1e-8 * weights[largest]) {
      double w = (weights[largest] + weights[smallest]) / 2;
      weights[largest] = weights[smallest] = w;
      for (std::size_t c = 0; c < dim; ++c) {
        double x = centres[largest][c];
        double p = 1e-14 * std::max(std::abs(x), 1.0);
        centres[largest][c] = x + p;
        centres[smallest][c] = x - p;
      }
    }
  }
};

Eigen::MatrixXd to_matrix(const points_t& points) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(points.size()),
                    static_cast<Eigen::Index>(points.empty() ? 0 : points[0].size()));
  for (std::size_t i = 0; i < points.size(); ++i)
    for (std::size_t c = 0; c < points[i].size(); ++c)
      m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(c)) = points[i][c];
  return m;
}

/// Points around three blobs, (0, 0), (5, 5) and (-5, 5), with uniform noise in [-1, 1).
points_t blob_batch(std::mt19937_64& rng, std::size_t n) {
  const double blobs[3][2] = {{0, 0}, {5, 5}, {-5, 5}};
  points_t out;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& b = blobs[rng() % 3];
    auto noise = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-52 - 1.0; };
    out.push_back({b[0] + noise(), b[1] + noise()});
  }
  return out;
}

bool matches(const streaming_kmeans& model, const reference_kmeans& ref) {
  Eigen::VectorXd w(static_cast<Eigen::Index>(ref.weights.size()));
  for (std::size_t j = 0; j < ref.weights.size(); ++j)
    w[static_cast<Eigen::Index>(j)] = ref.weights[j];
  return same_bits(model.centres(), to_matrix(ref.centres)) && same_bits(model.weights(), w);
}

/// Runs model and reference side by side over `batches` random batches; returns the number of
/// dying-cluster splits.
int run_against_reference(kmeans_options options, std::size_t batches, std::size_t batch_size) {
  points_t initial = {{1, 1}, {4, 4}, {100, 100}};  // the third centre never gets a point
  std::vector<double> initial_weights = {1, 1, 1e-3};
  streaming_kmeans model(options, to_matrix(initial), vec({1, 1, 1e-3}));
  reference_kmeans ref{initial, initial_weights, model.decay(), options.unit == time_unit::points};
  std::mt19937_64 rng(7);
  int splits = 0;
  for (std::size_t b = 0; b < batches; ++b) {
    auto batch = blob_batch(rng, batch_size);
    auto report = model.update(to_matrix(batch));
    ref.update(batch);
    splits += report.split ? 1 : 0;
    BOOST_TEST_REQUIRE(matches(model, ref), "batch " << b << " differs from the reference");
  }
  BOOST_TEST(model.version() == batches);
  return splits;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(streaming_kmeans_updates)

BOOST_AUTO_TEST_CASE(one_update_moves_a_centre_to_the_decayed_weighted_mean_of_old_and_new) {
  streaming_kmeans model({.k = 2, .decay_factor = 0.5}, rows({{0}, {10}}), vec({1, 1}));
  auto report = model.update(rows({{1}, {3}, {9}}));
  // Cluster 0: weight 0.5 * 1 + 2 = 2.5, lambda 0.8, centre 0.2 * 0 + 0.8 * mean(1, 3) = 1.6.
  // Cluster 1: weight 0.5 * 1 + 1 = 1.5, lambda 2/3, centre 10 / 3 + (2/3) * 9 = 9.333...
  BOOST_TEST(report.points == 3);
  BOOST_TEST(report.discount == 0.5);
  BOOST_TEST(model.weights()[0] == 2.5);
  BOOST_TEST(model.weights()[1] == 1.5);
  BOOST_TEST(std::abs(model.centres()(0, 0) - 1.6) < 1e-15);
  BOOST_TEST(std::abs(model.centres()(1, 0) - 28.0 / 3.0) < 1e-14);
  BOOST_TEST(model.version() == 1u);
}

BOOST_AUTO_TEST_CASE(points_are_assigned_with_the_centres_from_before_the_update) {
  // 6 is nearer to centre 1 (at 10) than to centre 0; once 4 has moved centre 0 to 4 it would
  // be nearer to 0, which must not matter inside one batch.
  streaming_kmeans model({.k = 2}, rows({{0}, {10}}), vec({0, 0}));
  model.update(rows({{4}, {6}}));
  BOOST_TEST(model.centres()(0, 0) == 4.0);
  BOOST_TEST(model.centres()(1, 0) == 6.0);
}

BOOST_AUTO_TEST_CASE(updates_match_the_step_by_step_reference_with_a_decay_factor_per_batch) {
  int splits = run_against_reference({.k = 3, .decay_factor = 0.6}, 40, 20);
  BOOST_TEST(splits >= 1);  // the idle third cluster dies and takes half of the largest
}

BOOST_AUTO_TEST_CASE(updates_match_the_step_by_step_reference_with_a_decay_factor_per_point) {
  int splits = run_against_reference({.k = 3, .decay_factor = 0.97, .unit = time_unit::points},
                                     40, 15);
  BOOST_TEST(splits >= 1);
}

BOOST_AUTO_TEST_CASE(updates_match_the_step_by_step_reference_without_forgetting) {
  run_against_reference({.k = 3}, 20, 10);
}

BOOST_AUTO_TEST_CASE(updates_match_the_step_by_step_reference_with_a_half_life) {
  run_against_reference({.k = 3, .half_life = 3.0}, 30, 20);
  run_against_reference({.k = 3, .half_life = 50.0, .unit = time_unit::points}, 30, 20);
}

BOOST_AUTO_TEST_CASE(many_centres_with_a_tie_across_blocks_match_the_reference_and_report_the_prequential_cost) {
  // 19 centres: distances are computed eight centres at a time, the last three one by one.
  // Centre 12 starts as a copy of centre 3, a tie the lower index must win across blocks.
  std::mt19937_64 rng(3);
  auto uniform = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-53 * 20 - 10; };
  points_t centres(19, std::vector<double>(7));
  for (auto& c : centres)
    for (auto& x : c)
      x = uniform();
  centres[12] = centres[3];
  streaming_kmeans model({.k = 19, .decay_factor = 0.9}, to_matrix(centres),
                         Eigen::VectorXd::Ones(19));
  reference_kmeans ref{centres, std::vector<double>(19, 1.0), 0.9, false};
  for (int b = 0; b < 10; ++b) {
    points_t batch(50, std::vector<double>(7));
    for (auto& p : batch)
      for (auto& x : p)
        x = uniform();
    auto points = to_matrix(batch);
    double before = sluice::ml::kmeans_cost(model, points);
    auto report = model.update(points);
    ref.update(batch);
    BOOST_TEST(report.cost == before);  // bit for bit: the same distances, summed in row order
    BOOST_TEST_REQUIRE(matches(model, ref), "batch " << b << " differs from the reference");
  }
}

BOOST_AUTO_TEST_CASE(a_half_life_sets_the_decay_factor_to_exp_of_ln_half_over_h) {
  streaming_kmeans model({.k = 1, .decay_factor = 0.1, .half_life = 4.0}, rows({{0}}), vec({1}));
  BOOST_TEST(same_bits(model.decay(), std::exp(std::log(0.5) / 4.0)));
}

BOOST_AUTO_TEST_CASE(an_idle_cluster_loses_half_its_weight_after_one_half_life_of_batches) {
  streaming_kmeans model({.k = 2, .half_life = 2.0}, rows({{0}, {100}}), vec({8, 8}));
  model.update(rows({{1}}));
  model.update(rows({{1}}));
  BOOST_TEST(std::abs(model.weights()[1] - 4.0) < 1e-12);
}

BOOST_AUTO_TEST_CASE(an_idle_cluster_loses_half_its_weight_after_one_half_life_of_points) {
  streaming_kmeans model({.k = 2, .half_life = 3.0, .unit = time_unit::points},
                         rows({{0}, {100}}), vec({8, 8}));
  auto report = model.update(rows({{1}, {2}, {-1}}));
  BOOST_TEST(std::abs(report.discount - 0.5) < 1e-15);
  BOOST_TEST(std::abs(model.weights()[1] - 4.0) < 1e-12);
}

BOOST_AUTO_TEST_CASE(an_empty_batch_decays_the_weights_per_batch_and_counts_as_a_version) {
  streaming_kmeans per_batch({.k = 2, .decay_factor = 0.5}, rows({{0}, {1}}), vec({4, 2}));
  per_batch.update(Eigen::MatrixXd(0, 1));
  BOOST_TEST(per_batch.weights()[0] == 2.0);
  BOOST_TEST(per_batch.weights()[1] == 1.0);
  BOOST_TEST(per_batch.version() == 1u);

  streaming_kmeans per_point({.k = 2, .decay_factor = 0.5, .unit = time_unit::points},
                             rows({{0}, {1}}), vec({4, 2}));
  per_point.update(Eigen::MatrixXd(0, 0));
  BOOST_TEST(per_point.weights()[0] == 4.0);  // a^0
  BOOST_TEST(per_point.version() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(streaming_kmeans_dying_clusters)

BOOST_AUTO_TEST_CASE(a_dying_cluster_takes_the_minus_half_of_the_largest_and_both_get_the_mean) {
  streaming_kmeans model({.k = 2}, rows({{2, -300}, {50, 50}}), vec({0, 0}));
  auto report = model.update(rows({{2, -300}, {2, -300}, {2, -300}, {2, -300}}));
  // Cluster 0 has weight 4, cluster 1 weight 0 < 1e-8 * 4: cluster 1 dies.
  BOOST_TEST(report.split);
  BOOST_TEST(report.split_from == 0);
  BOOST_TEST(report.dying == 1);
  BOOST_TEST(model.weights()[0] == 2.0);
  BOOST_TEST(model.weights()[1] == 2.0);
  // Perturbation 1e-14 * max(|x|, 1) per coordinate: the largest gets "+", the dying one "-".
  BOOST_TEST(same_bits(model.centres()(0, 0), 2 + 1e-14 * 2));
  BOOST_TEST(same_bits(model.centres()(0, 1), -300 + 1e-14 * 300));
  BOOST_TEST(same_bits(model.centres()(1, 0), 2 - 1e-14 * 2));
  BOOST_TEST(same_bits(model.centres()(1, 1), -300 - 1e-14 * 300));
}

BOOST_AUTO_TEST_CASE(coordinates_below_one_in_magnitude_are_perturbed_by_1e_14) {
  streaming_kmeans model({.k = 2}, rows({{0.25}, {50}}), vec({0, 0}));
  model.update(rows({{0.25}}));
  BOOST_TEST(same_bits(model.centres()(0, 0), 0.25 + 1e-14));
  BOOST_TEST(same_bits(model.centres()(1, 0), 0.25 - 1e-14));
}

BOOST_AUTO_TEST_CASE(no_cluster_dies_while_the_smallest_weight_is_at_least_1e_8_of_the_largest) {
  streaming_kmeans model({.k = 2}, rows({{0}, {50}}), vec({0, 1e-8}));
  auto report = model.update(rows({{0}}));  // weights 1 and 1e-8: not strictly below
  BOOST_TEST(!report.split);
  BOOST_TEST(model.centres()(1, 0) == 50.0);
}

BOOST_AUTO_TEST_CASE(among_equally_small_clusters_the_first_index_dies) {
  streaming_kmeans model({.k = 3}, rows({{-10}, {10}, {0}}), vec({0, 0, 0}));
  auto report = model.update(rows({{0}, {0}}));
  BOOST_TEST(report.split);
  BOOST_TEST(report.split_from == 2);
  BOOST_TEST(report.dying == 0);
  BOOST_TEST(model.centres()(1, 0) == 10.0);  // untouched
  BOOST_TEST(model.weights()[1] == 0.0);
}

BOOST_AUTO_TEST_CASE(among_equally_large_clusters_the_first_index_is_split) {
  streaming_kmeans model({.k = 3}, rows({{-10}, {10}, {0}}), vec({5, 5, 0}));
  auto report = model.update(Eigen::MatrixXd(0, 1));
  BOOST_TEST(report.split);
  BOOST_TEST(report.split_from == 0);
  BOOST_TEST(report.dying == 2);
  BOOST_TEST(same_bits(model.centres()(2, 0), -10 - 1e-14 * 10));
  BOOST_TEST(model.weights()[1] == 5.0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(streaming_kmeans_prediction)

BOOST_AUTO_TEST_CASE(a_point_goes_to_the_nearest_centre) {
  streaming_kmeans model({.k = 3}, rows({{0, 0}, {5, 5}, {-5, 5}}), vec({1, 1, 1}));
  BOOST_TEST(model.predict(vec({4, 6})) == 1);
  BOOST_TEST(model.predict(vec({-4, 4})) == 2);
  auto nearest = model.nearest(vec({1, 0}));
  BOOST_TEST(nearest.index == 0);
  BOOST_TEST(nearest.squared_distance == 1.0);
  auto all = model.predict_all(rows({{0, 1}, {6, 6}, {-6, 6}}));
  BOOST_TEST((all == std::vector<Eigen::Index>{0, 1, 2}));
}

BOOST_AUTO_TEST_CASE(a_point_equally_near_two_centres_goes_to_the_lower_index_in_predict_and_update) {
  streaming_kmeans model({.k = 3}, rows({{9}, {-1}, {1}}), vec({1, 1, 1}));
  BOOST_TEST(model.predict(vec({0})) == 1);
  model.update(rows({{0}}));
  BOOST_TEST(model.weights()[1] == 2.0);
  BOOST_TEST(model.weights()[2] == 1.0);
}

BOOST_AUTO_TEST_CASE(random_centres_depend_only_on_the_seed) {
  auto a = streaming_kmeans::with_random_centres({.k = 3}, 4, 2.0, 11);
  auto b = streaming_kmeans::with_random_centres({.k = 3}, 4, 2.0, 11);
  auto c = streaming_kmeans::with_random_centres({.k = 3}, 4, 2.0, 12);
  BOOST_TEST(state_bytes(a) == state_bytes(b));
  BOOST_TEST(!same_bits(a.centres(), c.centres()));
  BOOST_TEST(a.centres().rows() == 3);
  BOOST_TEST(a.centres().cols() == 4);
  BOOST_TEST((a.weights().array() == 2.0).all());
  BOOST_TEST(a.centres().cwiseAbs().maxCoeff() < 6.0);  // standard normal draws
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(streaming_kmeans_bad_input)

namespace {
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

BOOST_AUTO_TEST_CASE(bad_options_and_initial_state_are_rejected_with_a_message_naming_them) {
  expect_invalid([] { streaming_kmeans({.k = 0}, Eigen::MatrixXd(0, 2), Eigen::VectorXd(0)); },
                 "k must be at least 1");
  expect_invalid([] { streaming_kmeans({.k = 2, .decay_factor = -0.1}, rows({{0}, {1}}), vec({0, 0})); },
                 "decay_factor");
  expect_invalid([] { streaming_kmeans({.k = 2, .half_life = 0.0}, rows({{0}, {1}}), vec({0, 0})); },
                 "half_life");
  expect_invalid([] { streaming_kmeans({.k = 3}, rows({{0}, {1}}), vec({0, 0, 0})); },
                 "expected 3 centres");
  expect_invalid([] { streaming_kmeans({.k = 2}, rows({{0}, {1}}), vec({0})); },
                 "expected 2 weights");
  expect_invalid([] { streaming_kmeans({.k = 2}, rows({{0}, {1}}), vec({0, -1})); }, "weight 1");
  expect_invalid([] { streaming_kmeans({.k = 1}, rows({{NAN}}), vec({0})); }, "NaN");
  expect_invalid([] { streaming_kmeans::with_random_centres({.k = 2}, 0, 0, 1); }, "dimension");
}

BOOST_AUTO_TEST_CASE(a_bad_batch_is_rejected_and_leaves_the_model_unchanged) {
  streaming_kmeans model({.k = 2}, rows({{0, 0}, {1, 1}}), vec({1, 1}));
  auto before = state_bytes(model);
  expect_invalid([&] { model.update(rows({{1, 2, 3}})); }, "has 3 features per point, the model 2");
  expect_invalid([&] { model.update(rows({{1, 2}, {3, NAN}})); }, "feature 1 of point 1 is NaN");
  expect_invalid([&] { model.update(rows({{INFINITY, 2}})); }, "feature 0 of point 0 is inf");
  expect_invalid([&] { model.predict(vec({1})); }, "the point has 1 features");
  expect_invalid([&] { model.predict(vec({1, NAN})); }, "feature 1 is NaN");
  BOOST_TEST(state_bytes(model) == before);
}

BOOST_AUTO_TEST_SUITE_END()
