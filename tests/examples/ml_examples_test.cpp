// The ML examples run as a user would: streaming k-means finds the iris species, logistic
// regression separates the breast-cancer set, linear regression recovers known weights, runs are
// deterministic, and a model trained through kill -9 and recovery ends bit-identical to one
// trained without failure.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/examples/support.hpp"

namespace fs = std::filesystem;
using namespace sluice::test;

namespace {

const std::string kmeans_bin = SLUICE_BINARY_DIR "/examples/streaming_kmeans";
const std::string regression_bin = SLUICE_BINARY_DIR "/examples/streaming_regression";
const std::string data_dir = SLUICE_SOURCE_DIR "/examples/data/";

std::vector<std::vector<double>> read_csv(const std::string& path) {
  std::vector<std::vector<double>> rows;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    std::vector<double> row;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ','))
      row.push_back(std::stod(cell));
    rows.push_back(row);
  }
  return rows;
}

/// A hex-float string or a number from a model's JSON.
double number(const nlohmann::json& j) {
  return j.is_string() ? std::strtod(j.get<std::string>().c_str(), nullptr) : j.get<double>();
}

/// Writes `n` rows "x1,x2,label" with label = 2 x1 - 3 x2 + 1 (+ small deterministic noise).
void write_linear_data(const std::string& path, int n) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> d(0, 1);
  std::ofstream f(path);
  for (int i = 0; i < n; ++i) {
    double a = d(rng), b = d(rng);
    f << a << ',' << b << ',' << (2 * a - 3 * b + 1 + 0.01 * d(rng)) << '\n';
  }
}

bool ok(const run_result& r) { return r.exited && r.code == 0; }

/// Writes `n` rows "x1,x2,x3" around four centres (deterministic).
void write_cluster_data(const std::string& path, int n) {
  std::mt19937_64 rng(9);
  std::normal_distribution<double> d(0, 0.5);
  const double centres[4][3] = {{0, 0, 0}, {5, 5, 0}, {-5, 5, 2}, {0, -6, -3}};
  std::ofstream f(path);
  for (int i = 0; i < n; ++i) {
    const auto& c = centres[i % 4];
    f << c[0] + d(rng) << ',' << c[1] + d(rng) << ',' << c[2] + d(rng) << '\n';
  }
}

/// Trains once without failure, then up to six times with checkpoints while SIGKILLing the job
/// a little after its first completed checkpoint and rerunning the same command; every
/// conclusive run (killed after a checkpoint, restored from it) must end with a model file equal
/// byte for byte to the clean run's. At least one run must be conclusive.
void expect_recovered_model_equals_clean_one(const std::string& bin,
                                             const std::vector<std::string>& job,
                                             const temp_dir& dir) {
  auto args = [&](const std::string& tag) {
    auto a = job;
    a.insert(a.end(), {"--predictions", dir / (tag + "-out"), "--model-out", dir / (tag + ".json")});
    return a;
  };
  auto clean = run(bin, args("clean"));
  BOOST_REQUIRE_MESSAGE(ok(clean), clean.describe());
  int conclusive = 0;
  for (int attempt = 0; attempt < 6 && conclusive < 2; ++attempt) {
    auto tag = "crash" + std::to_string(attempt);
    auto a = args(tag);
    a.insert(a.end(), {"--checkpoint-dir", dir / (tag + "-ck"), "--checkpoint-interval-ms", "30"});
    // Kill a little after the first checkpoint completed (or give up if the run ended first).
    auto has_checkpoint = [&] {
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(dir.path() / (tag + "-ck"), ec))
        if (fs::exists(e.path() / "manifest.json"))
          return true;
      return false;
    };
    auto started = std::chrono::steady_clock::now();
    std::optional<std::chrono::steady_clock::time_point> checkpointed;  // or waited 15 s for one
    auto crash = run_and_kill_when(launch{bin, a, {}, ""}, [&] {
      auto now = std::chrono::steady_clock::now();
      if (!checkpointed && (has_checkpoint() || now - started >= std::chrono::seconds(15)))
        checkpointed = now;
      return checkpointed && now - *checkpointed >= std::chrono::milliseconds(20 * attempt);
    });
    bool had_checkpoint = has_checkpoint();
    auto again = run(bin, a);
    BOOST_REQUIRE_MESSAGE(ok(again), again.describe());
    bool killed_mid_run = crash.signal != 0;
    if (!had_checkpoint || !killed_mid_run ||
        again.err.find("restoring from checkpoint") == std::string::npos) {
      BOOST_TEST_MESSAGE("attempt " << attempt << " inconclusive (no checkpoint before the kill)");
      continue;
    }
    ++conclusive;
    BOOST_TEST(read_file(dir / (tag + ".json")) == read_file(dir / "clean.json"),
               "attempt " << attempt << ": the recovered model differs");
  }
  BOOST_TEST(conclusive >= 1);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ml_examples)

BOOST_AUTO_TEST_CASE(streaming_kmeans_finds_the_three_iris_species) {
  temp_dir dir;
  auto r = run(kmeans_bin, {"--input", data_dir + "iris.csv", "--k", "3", "--label-column",
                            "--batch-size", "10", "--seed", "3", "--model-out", dir / "km.json",
                            "--predictions", dir / "out"});
  BOOST_REQUIRE_MESSAGE(ok(r), r.describe());
  auto model = nlohmann::json::parse(read_file(dir / "km.json"));
  BOOST_TEST(model.at("version").get<int>() == 15);  // 150 points in batches of 10
  std::vector<std::vector<double>> centres;
  for (const auto& c : model.at("centres")) {
    std::vector<double> v;
    for (const auto& x : c)
      v.push_back(number(x));
    centres.push_back(v);
  }
  BOOST_REQUIRE(centres.size() == 3u);
  // Purity: assign each flower to its nearest centre; most of each cluster is one species.
  std::map<std::pair<int, int>, int> counts;
  for (const auto& row : read_csv(data_dir + "iris.csv")) {
    int best = 0;
    double best_d = INFINITY;
    for (int c = 0; c < 3; ++c) {
      double d = 0;
      for (int j = 0; j < 4; ++j)
        d += (row[j] - centres[c][j]) * (row[j] - centres[c][j]);
      if (d < best_d) {
        best_d = d;
        best = c;
      }
    }
    ++counts[{best, static_cast<int>(row[4])}];
  }
  int majority = 0;
  for (int c = 0; c < 3; ++c) {
    int top = 0;
    for (int s = 0; s < 3; ++s)
      top = std::max(top, counts[{c, s}]);
    majority += top;
  }
  BOOST_TEST(majority >= 130, "only " << majority << " of 150 flowers in their cluster's species");
}

BOOST_AUTO_TEST_CASE(two_runs_train_bit_identical_models) {
  temp_dir dir;
  for (auto name : {"a.json", "b.json"}) {
    auto r = run(regression_bin, {"--model", "logistic", "--input", data_dir + "breast_cancer.csv",
                                  "--intercept", "--batch-size", "16", "--mini-batch-fraction", "0.5",
                                  "--model-out", dir / name});
    BOOST_REQUIRE_MESSAGE(ok(r), r.describe());
  }
  BOOST_TEST(read_file(dir / "a.json") == read_file(dir / "b.json"));
}

BOOST_AUTO_TEST_CASE(logistic_regression_separates_the_breast_cancer_set_with_versioned_predictions) {
  temp_dir dir;
  auto r = run(regression_bin, {"--model", "logistic", "--input", data_dir + "breast_cancer.csv",
                                "--intercept", "--batch-size", "20", "--predict",
                                data_dir + "breast_cancer.csv", "--predictions", dir / "out",
                                "--metrics-json", dir / "m.json"});
  BOOST_REQUIRE_MESSAGE(ok(r), r.describe());
  auto m = nlohmann::json::parse(read_file(dir / "m.json"));
  double accuracy = -1, version = -1;
  for (const auto& op : m.at("operators"))
    if (op.at("uid") == "model") {
      accuracy = op.at("gauges").at("accuracy").get<double>();
      version = op.at("gauges").at("version").get<double>();
    }
  BOOST_TEST(accuracy > 0.9);  // prequential: every row scored before it trained the model
  BOOST_TEST(version == 29.0);  // ceil(569 / 20)
  std::size_t predictions = 0;
  for (const auto& e : fs::directory_iterator(dir.path() / "out"))
    for (std::istringstream in(read_file(e.path().string())); ;) {
      std::string line;
      if (!std::getline(in, line))
        break;
      if (line.rfind("prediction,", 0) == 0) {
        ++predictions;
        auto v = std::stoul(line.substr(11, line.find(',', 11) - 11));
        BOOST_TEST(v <= 29u);
      }
    }
  BOOST_TEST(predictions == 569u);
}

BOOST_AUTO_TEST_CASE(linear_regression_recovers_known_weights) {
  temp_dir dir;
  write_linear_data(dir / "train.csv", 5000);
  auto r = run(regression_bin, {"--input", dir / "train.csv", "--intercept", "--batch-size", "100",
                                "--step-size", "0.5", "--model-out", dir / "lin.json"});
  BOOST_REQUIRE_MESSAGE(ok(r), r.describe());
  auto model = nlohmann::json::parse(read_file(dir / "lin.json"));
  auto w = model.at("weights");
  BOOST_TEST(std::abs(number(w.at(0)) - 2) < 0.05);
  BOOST_TEST(std::abs(number(w.at(1)) + 3) < 0.05);
  BOOST_TEST(std::abs(number(model.at("intercept")) - 1) < 0.05);
}

BOOST_AUTO_TEST_CASE(malformed_rows_become_dead_letters_and_training_goes_on) {
  temp_dir dir;
  write_file(dir / "rows.csv", "1,2,3\nnot,a,row\n4,5,6\n\n7,8\n");
  auto r = run(regression_bin, {"--input", dir / "rows.csv", "--batch-size", "1", "--model-out",
                                dir / "m.json", "--dead-letter-dir", dir / "dead"});
  BOOST_REQUIRE_MESSAGE(ok(r), r.describe());
  std::string dead;
  for (const auto& e : fs::directory_iterator(dir.path() / "dead"))
    dead += read_file(e.path().string());
  BOOST_TEST(dead.find("not,a,row") != std::string::npos);  // not numbers: rejected by parse
  BOOST_TEST(dead.find("expected 2 features, got 1\t7,8") != std::string::npos);  // by the model
  auto model = nlohmann::json::parse(read_file(dir / "m.json"));
  BOOST_TEST(model.at("version").get<int>() == 2);  // the two good rows, one per mini-batch
}

BOOST_AUTO_TEST_CASE(a_regression_model_trained_through_kill_and_recovery_equals_one_trained_without_failure) {
  temp_dir dir;
  write_linear_data(dir / "train.csv", 400000);
  expect_recovered_model_equals_clean_one(
      regression_bin, {"--input", dir / "train.csv", "--intercept", "--batch-size", "50",
                       "--iterations", "5"},
      dir);
}

BOOST_AUTO_TEST_CASE(a_kmeans_model_trained_through_kill_and_recovery_equals_one_trained_without_failure) {
  temp_dir dir;
  write_cluster_data(dir / "points.csv", 400000);
  expect_recovered_model_equals_clean_one(
      kmeans_bin, {"--input", dir / "points.csv", "--k", "4", "--seed", "7", "--batch-size", "50",
                   "--half-life", "20", "--time-unit", "batches"},
      dir);
}

BOOST_AUTO_TEST_SUITE_END()
