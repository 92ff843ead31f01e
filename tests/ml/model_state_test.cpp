#include <boost/test/unit_test.hpp>
#include <cfloat>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ml/model_json.hpp"
#include "ml/streaming_kmeans.hpp"
#include "ml/streaming_regression.hpp"
#include "support.hpp"

using sluice::ml::hex_double;
using sluice::ml::kmeans_options;
using sluice::ml::labeled_batch;
using sluice::ml::model_kind;
using sluice::ml::parse_hex_double;
using sluice::ml::state_errc;
using sluice::ml::state_writer;
using sluice::ml::streaming_kmeans;
using sluice::ml::streaming_linear_regression;
using sluice::ml::streaming_logistic_regression;
using sluice::ml::time_unit;
using sluice::ml::test::rows;
using sluice::ml::test::same_bits;
using sluice::ml::test::state_bytes;
using sluice::ml::test::vec;

namespace {

double uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

std::vector<Eigen::MatrixXd> point_batches(int count) {
  std::mt19937_64 rng(21);
  std::vector<Eigen::MatrixXd> out;
  for (int b = 0; b < count; ++b) {
    Eigen::MatrixXd m(17, 3);
    for (Eigen::Index i = 0; i < m.rows(); ++i)
      for (Eigen::Index j = 0; j < m.cols(); ++j)
        m(i, j) = 10 * uniform(rng) - 5 + (i % 3) * 4;
    out.push_back(m);
  }
  return out;
}

std::vector<labeled_batch> labeled_batches(int count, bool binary) {
  std::mt19937_64 rng(22);
  std::vector<labeled_batch> out;
  for (int b = 0; b < count; ++b) {
    labeled_batch batch{Eigen::MatrixXd(23, 3), Eigen::VectorXd(23)};
    for (Eigen::Index i = 0; i < 23; ++i) {
      for (Eigen::Index j = 0; j < 3; ++j)
        batch.features(i, j) = 4 * uniform(rng) - 2;
      double y = 1.5 * batch.features(i, 0) - batch.features(i, 1) + 0.25 * batch.features(i, 2);
      batch.labels[i] = binary ? (y + 0.3 * uniform(rng) > 0 ? 1 : 0) : y + 0.1;
    }
    out.push_back(batch);
  }
  return out;
}

/// Trains `original` on the first half of `batches`, restores a checkpoint of it into a fresh
/// model, once from the binary state and once from the JSON text, then trains all three on the
/// second half: the restored ones must end bit-identical to the uninterrupted one.
template <class Model, class Batch>
void check_recovery(const std::function<Model()>& fresh, const std::vector<Batch>& batches) {
  Model original = fresh();
  const std::size_t half = batches.size() / 2;
  for (std::size_t b = 0; b < half; ++b)
    original.update(batches[b]);

  std::string bytes = state_bytes(original);
  std::string text = original.to_json().dump();
  Model from_bytes = fresh();
  Model from_text = fresh();
  BOOST_TEST_REQUIRE(from_bytes.load_state(bytes).ok());
  auto status = from_text.from_json(nlohmann::json::parse(text));
  BOOST_TEST_REQUIRE(status.ok(), status.message);
  BOOST_TEST(state_bytes(from_bytes) == bytes);
  BOOST_TEST(state_bytes(from_text) == bytes);
  BOOST_TEST(from_bytes.version() == half);

  for (std::size_t b = half; b < batches.size(); ++b) {
    original.update(batches[b]);
    from_bytes.update(batches[b]);
    from_text.update(batches[b]);
  }
  BOOST_TEST(state_bytes(from_bytes) == state_bytes(original));
  BOOST_TEST(state_bytes(from_text) == state_bytes(original));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hex_doubles)

BOOST_AUTO_TEST_CASE(every_double_survives_a_hex_round_trip_bit_for_bit) {
  const double values[] = {0.1, 1.0 / 3.0, -0.0, 0.0, 1e-310, 5e-324, DBL_MAX, -DBL_MIN,
                           -123456.789, std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()};
  for (double v : values) {
    auto parsed = parse_hex_double(hex_double(v));
    BOOST_TEST_REQUIRE(parsed.has_value(), hex_double(v));
    BOOST_TEST(same_bits(*parsed, v), hex_double(v));
  }
  std::mt19937_64 rng(1);
  for (int i = 0; i < 10000; ++i) {
    double v = std::bit_cast<double>(rng());
    if (std::isnan(v))
      continue;
    BOOST_TEST_REQUIRE(same_bits(*parse_hex_double(hex_double(v)), v), hex_double(v));
  }
  BOOST_TEST(std::isnan(*parse_hex_double(hex_double(std::nan("")))));
}

BOOST_AUTO_TEST_CASE(hex_strings_are_written_with_a_0x_prefix_and_read_with_or_without_it) {
  BOOST_TEST(hex_double(3.0) == "0x1.8p+1");
  BOOST_TEST(hex_double(-0.0) == "-0x0p+0");
  BOOST_TEST(*parse_hex_double("1.8p+1") == 3.0);
  BOOST_TEST(*parse_hex_double("-0X1p-1") == -0.5);
  for (const char* bad : {"", "0x", "zz", "0x1.8p+1 ", "--0x1p+0", "0x-1p+0", "1e5x"})
    BOOST_TEST(!parse_hex_double(bad).has_value(), bad);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(model_state_recovery)

BOOST_AUTO_TEST_CASE(kmeans_resumed_from_a_checkpoint_ends_bit_identical_to_an_uninterrupted_run) {
  check_recovery<streaming_kmeans>(
      [] {
        return streaming_kmeans::with_random_centres(
            {.k = 3, .decay_factor = 0.8, .unit = time_unit::points}, 3, 0.5, 4);
      },
      point_batches(12));
}

BOOST_AUTO_TEST_CASE(linear_regression_with_sampling_resumed_from_a_checkpoint_ends_bit_identical) {
  check_recovery<streaming_linear_regression>(
      [] {
        return streaming_linear_regression(
            Eigen::VectorXd::Zero(3),
            {.mini_batch_fraction = 0.5, .fit_intercept = true, .seed = 77});
      },
      labeled_batches(12, false));
}

BOOST_AUTO_TEST_CASE(logistic_regression_with_sampling_resumed_from_a_checkpoint_ends_bit_identical) {
  check_recovery<streaming_logistic_regression>(
      [] {
        return streaming_logistic_regression(
            Eigen::VectorXd::Zero(3),
            {.sgd = {.step_size = 1.0, .mini_batch_fraction = 0.7, .fit_intercept = true},
             .reg_param = 0.01});
      },
      labeled_batches(12, true));
}

BOOST_AUTO_TEST_CASE(the_loaded_state_replaces_the_seed_of_the_options) {
  streaming_linear_regression saved(vec({1, 2}), {.mini_batch_fraction = 0.5, .seed = 5});
  streaming_linear_regression loaded(vec({0, 0}), {.mini_batch_fraction = 0.5, .seed = 6});
  BOOST_TEST_REQUIRE(loaded.load_state(state_bytes(saved)).ok());
  BOOST_TEST(loaded.state().seed == 5u);
  auto batch = labeled_batches(1, false)[0];
  batch.features.conservativeResize(Eigen::NoChange, 2);
  saved.update(batch);
  loaded.update(batch);
  BOOST_TEST(state_bytes(loaded) == state_bytes(saved));
}

BOOST_AUTO_TEST_CASE(the_json_state_names_the_model_and_spells_doubles_in_hex) {
  streaming_linear_regression model(vec({3, -0.5}), {.fit_intercept = true, .seed = 9}, 0.25);
  auto j = model.to_json();
  BOOST_TEST(j["model"] == "streaming_linear_regression");
  BOOST_TEST(j["format"] == 1);
  BOOST_TEST(j["version"] == 0);
  BOOST_TEST(j["seed"] == 9);
  BOOST_TEST(j["fit_intercept"] == true);
  BOOST_TEST(j["weights"] == nlohmann::json({"0x1.8p+1", "-0x1p-1"}));
  BOOST_TEST(j["intercept"] == "0x1p-2");
  auto k = streaming_kmeans({.k = 1}, rows({{1, 2}}), vec({4})).to_json();
  BOOST_TEST(k["centres"] == nlohmann::json::parse(R"([["0x1p+0", "0x1p+1"]])"));
  BOOST_TEST(k["weights"] == nlohmann::json({"0x1p+2"}));
}

BOOST_AUTO_TEST_CASE(json_states_may_spell_doubles_as_plain_numbers) {
  streaming_kmeans model({.k = 2}, rows({{0}, {0}}), vec({0, 0}));
  auto status = model.from_json(nlohmann::json::parse(
      R"({"model": "streaming_kmeans", "format": 1, "version": 3,
          "centres": [[1.5], ["-0x1p+1"]], "weights": [2, 0.5]})"));
  BOOST_TEST_REQUIRE(status.ok(), status.message);
  BOOST_TEST(model.centres()(0, 0) == 1.5);
  BOOST_TEST(model.centres()(1, 0) == -2.0);
  BOOST_TEST(model.weights()[1] == 0.5);
  BOOST_TEST(model.version() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(model_state_rejection)

BOOST_AUTO_TEST_CASE(damaged_binary_states_are_refused_with_a_reason_and_change_nothing) {
  streaming_kmeans model({.k = 2}, rows({{0, 1}, {2, 3}}), vec({1, 2}));
  const auto good = state_bytes(model);
  streaming_kmeans target({.k = 2}, rows({{9, 9}, {9, 9}}), vec({0, 0}));
  const auto before = state_bytes(target);
  auto expect = [&](std::string bytes, state_errc code) {
    auto status = target.load_state(bytes);
    BOOST_TEST((status.code == code), status.message);
    BOOST_TEST(!status.message.empty());
    BOOST_TEST(status.message.find('\n') == std::string::npos);
    BOOST_TEST(state_bytes(target) == before);
  };
  auto flipped = good;
  flipped[20] ^= 0x01;
  expect(flipped, state_errc::checksum_mismatch);
  expect(good.substr(0, good.size() - 1), state_errc::checksum_mismatch);
  expect(good.substr(0, 10), state_errc::truncated);
  expect("XLML" + good.substr(4), state_errc::bad_magic);
  expect(state_bytes(streaming_linear_regression(vec({1, 2}))), state_errc::wrong_model);
  expect(state_bytes(streaming_kmeans({.k = 3}, rows({{0, 1}, {2, 3}, {4, 5}}), vec({1, 1, 1}))),
         state_errc::shape_mismatch);
  expect(state_bytes(streaming_kmeans({.k = 2}, rows({{0}, {2}}), vec({1, 1}))),
         state_errc::shape_mismatch);
  std::string trailing;
  {
    state_writer w(trailing, model_kind::streaming_kmeans);
    w.u64(0);
    w.u64(2);
    w.u64(2);
    w.f64s(vec({0, 1, 2, 3, 1, 2}));
    w.u64(99);
    w.finish();
  }
  expect(trailing, state_errc::trailing_bytes);
  std::string future = good;
  future[4] = 2;
  expect(future, state_errc::unsupported_format);  // checked before the checksum
}

BOOST_AUTO_TEST_CASE(a_regression_state_must_agree_on_features_and_intercept) {
  streaming_linear_regression with(vec({1, 2}), {.fit_intercept = true}, 0.5);
  streaming_linear_regression without(vec({1, 2}));
  auto status = without.load_state(state_bytes(with));
  BOOST_TEST((status.code == state_errc::shape_mismatch), status.message);
  BOOST_TEST(status.message.find("intercept") != std::string::npos);
  streaming_linear_regression three(vec({1, 2, 3}));
  BOOST_TEST((three.load_state(state_bytes(without)).code == state_errc::shape_mismatch));
  streaming_logistic_regression logistic(vec({1, 2}));
  BOOST_TEST((logistic.load_state(state_bytes(without)).code == state_errc::wrong_model));
}

BOOST_AUTO_TEST_CASE(bad_json_states_are_refused_with_a_reason_and_change_nothing) {
  streaming_kmeans model({.k = 2}, rows({{0}, {1}}), vec({1, 1}));
  const auto before = state_bytes(model);
  auto good = model.to_json();
  auto expect = [&](const nlohmann::json& j, state_errc code) {
    auto status = model.from_json(j);
    BOOST_TEST((status.code == code), status.message);
    BOOST_TEST(status.message.find("streaming_kmeans::from_json") == 0u, status.message);
    BOOST_TEST(state_bytes(model) == before);
  };
  auto j = good;
  j["model"] = "streaming_linear_regression";
  expect(j, state_errc::wrong_model);
  j = good;
  j["format"] = 2;
  expect(j, state_errc::unsupported_format);
  j = good;
  j.erase("weights");
  expect(j, state_errc::malformed);
  j = good;
  j["weights"] = {"0x1p+0"};
  expect(j, state_errc::shape_mismatch);
  j = good;
  j["weights"] = {"0x1p+0", "-0x1p+0"};
  expect(j, state_errc::bad_value);
  j = good;
  j["centres"][0][0] = "one";
  expect(j, state_errc::malformed);
  j = good;
  j["version"] = "7";
  expect(j, state_errc::malformed);
  expect(nlohmann::json::array(), state_errc::malformed);
}

BOOST_AUTO_TEST_SUITE_END()
