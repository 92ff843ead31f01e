// bench_ml: throughput of Sluice's streaming k-means and logistic regression through the full job
// (file source → CSV parse → model operator → sink, built with the public API as the ML examples
// build it) beside scikit-learn's MiniBatchKMeans.partial_fit and SGDClassifier.partial_fit on the
// same CSV with the same mini-batches (bench/sklearn_baseline.py under /usr/bin/python3), in the
// same run, alternating rounds. Both sides' times cover reading and parsing the CSV and training;
// both final models are scored on the same held-out rows by the same code (ml_data.hpp), so speed
// is printed beside accuracy. A Sluice model that did not learn fails the bench with exit code 1.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bench/harness.hpp"
#include "bench/ml_data.hpp"
#include "examples/ml_common.hpp"

namespace fs = std::filesystem;

namespace {

using namespace sluice::bench;

struct bench_options {
  double values = 10e6;  // feature values per training set: rows = values / d
  std::vector<std::size_t> dims{10, 100};
  std::vector<std::string> models{"kmeans", "logistic"};
  std::size_t k = 10;
  std::size_t test_rows = 20000;
  uint32_t batch_size = 1000;             // of the configuration running
  std::vector<uint32_t> batch_sizes{100, 1000};  // --batch-size: each one is a configuration
  int runs = 3;
  double step_size = 1.0;
  double reg_param = 0.0;
  int iterations = 50;
  double convergence_tol = 0.001;
  uint64_t seed = 7;
  uint32_t threads = 0;
  int sklearn_threads = 1;
  std::string python = "/usr/bin/python3";
  std::string script = SLUICE_SOURCE_DIR "/bench/sklearn_baseline.py";
  bool quick = false;
};

/// A model's final parameters: centres (k-means) or weights and intercept (logistic).
struct final_model {
  rows centres;
  std::vector<double> weights;
  double intercept = 0;
};

/// What one side's run cost and produced.
struct run_result {
  double seconds = 0;        // parse + train
  double train_seconds = 0;  // scikit-learn only: without parsing
  double cpu = 0;
  final_model model;
};

/// A double of a model JSON: a hex-float string (Sluice's export) or a plain number.
double number_of(const nlohmann::json& j) {
  return j.is_string() ? std::strtod(j.get<std::string>().c_str(), nullptr) : j.get<double>();
}

final_model model_of(const nlohmann::json& j, std::size_t dim) {
  final_model m;
  if (j.contains("centres")) {
    m.centres.cols = dim;
    for (const auto& c : j.at("centres"))
      for (const auto& v : c)
        m.centres.values.push_back(number_of(v));
  } else {
    for (const auto& v : j.at("weights"))
      m.weights.push_back(number_of(v));
    m.intercept = number_of(j.at("intercept"));
  }
  return m;
}

/// Discards the model's output records (one update per mini-batch), counting them.
class count_sink final : public sluice::operator_logic {
 public:
  explicit count_sink(std::shared_ptr<std::atomic<uint64_t>> n) : n_(std::move(n)) {}
  void process(sluice::batch_base& in, sluice::emitter&) override {
    *n_ += sluice::as_batch<sluice::ml::model_output>(in).items.size();
  }

 private:
  std::shared_ptr<std::atomic<uint64_t>> n_;
};

/// The full job, as examples/streaming_kmeans.cpp and streaming_regression.cpp build it.
run_result run_sluice(const ml_dataset& d, const std::string& csv, const std::string& model_out,
                      const bench_options& b) {
  sluice::job_options o;
  o.threads = b.threads;
  auto updates = std::make_shared<std::atomic<uint64_t>>(0);
  double cpu0 = cpu_seconds();
  auto t0 = clock_type::now();
  sluice::environment env{o};
  sluice::ml::model_settings settings{b.batch_size, model_out, ""};
  bool labeled = d.task == ml_task::logistic;
  auto model = [&] {
    if (labeled) {
      sluice::ml::logistic_regression_options lo;
      lo.sgd.step_size = b.step_size;
      lo.sgd.iterations = b.iterations;
      lo.sgd.convergence_tol = b.convergence_tol;
      lo.sgd.fit_intercept = true;
      lo.reg_param = b.reg_param;
      return sluice::ml::logistic_regression(env, lo, settings, "model");
    }
    sluice::ml::kmeans_model_options km;
    km.model.k = static_cast<int>(b.k);
    Eigen::MatrixXd init(static_cast<Eigen::Index>(b.k), static_cast<Eigen::Index>(d.dim));
    for (std::size_t c = 0; c < b.k; ++c)
      for (std::size_t j = 0; j < d.dim; ++j)
        init(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(j)) = d.initial_centres.row(c)[j];
    km.initial_centres = init;  // weight 0, as scikit-learn's counts start
    return sluice::ml::kmeans(env, km, settings, "model");
  }();
  auto parse = [labeled](const std::string& l) {
    return sluice::examples::parse_csv_example(l, labeled, 0);
  };
  model.train_on(env.read_text(csv).uid("rows").parallelism(1)
                     .parse<sluice::ml::example>(parse, "parse").parallelism(1));
  model.output().to([updates](const sluice::task_context&) -> sluice::operator_ptr {
    return std::make_unique<count_sink>(updates);
  }, "updates");
  auto r = env.execute();
  run_result out;
  out.seconds = seconds_since(t0);
  out.cpu = cpu_seconds() - cpu0;
  if (!r.ok)
    throw std::runtime_error("Sluice job failed: " + r.error);
  auto batches = (d.train_rows + b.batch_size - 1) / b.batch_size;
  if (*updates != batches)
    throw std::runtime_error("Sluice applied " + std::to_string(updates->load()) +
                             " mini-batches, expected " + std::to_string(batches));
  std::ifstream f(model_out);
  out.model = model_of(nlohmann::json::parse(f), d.dim);
  return out;
}

run_result run_sklearn(const ml_dataset& d, const std::string& csv, const std::string& init,
                       const bench_options& b) {
  std::ostringstream cmd;
  cmd << b.python << " " << b.script << " "
      << (d.task == ml_task::kmeans ? "kmeans" : "logistic") << " " << csv << " --columns "
      << d.dim + (d.task == ml_task::logistic ? 1 : 0) << " --batch-size " << b.batch_size
      << " --step-size " << b.step_size << " --reg-param " << b.reg_param << " --seed " << b.seed
      << " --threads " << b.sklearn_threads;
  if (d.task == ml_task::kmeans)
    cmd << " --init " << init;
  FILE* p = ::popen(cmd.str().c_str(), "r");
  if (!p)
    throw std::runtime_error("cannot run " + b.python);
  std::string text;
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    text.append(buf, n);
  int status = ::pclose(p);
  if (status != 0 || text.empty())
    throw std::runtime_error("scikit-learn baseline failed (" + cmd.str() +
                             "); is python3-sklearn installed?");
  auto j = nlohmann::json::parse(text);
  run_result out;
  out.seconds = j.at("seconds").get<double>();
  out.train_seconds = j.at("train_seconds").get<double>();
  out.cpu = j.at("cpu_seconds").get<double>();  // parse + train, as Sluice's
  if (j.at("rows").get<std::size_t>() != d.train_rows)
    throw std::runtime_error("scikit-learn read " + j.at("rows").dump() + " rows, expected " +
                             std::to_string(d.train_rows));
  out.model = model_of(j, d.dim);
  return out;
}

void write_centres(const rows& c, const std::string& path) {
  std::ofstream f(path);
  std::string line;
  for (std::size_t i = 0; i < c.size(); ++i) {
    line.clear();
    for (std::size_t j = 0; j < c.cols; ++j) {
      if (j)
        line += ',';
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, c.row(i)[j]);  // shortest exact form
      line.append(buf, r.ptr);
    }
    f << line << '\n';
  }
}

/// Accuracy of a final model on the held-out rows, as printed: k-means cost per point, or
/// accuracy and log-loss.
struct accuracy {
  double cost = 0;
  classifier_score cls;
};

accuracy score(const ml_dataset& d, const final_model& m) {
  accuracy a;
  if (d.task == ml_task::kmeans)
    a.cost = kmeans_cost_per_point(m.centres, d.test);
  else
    a.cls = score_classifier(m.weights, m.intercept, d.test, d.test_labels);
  return a;
}

/// One configuration (model, dimension): its data, its rounds, its line of the summary.
struct config_result {
  std::string name;
  std::size_t rows = 0;
  double sluice_rate = 0, sklearn_rate = 0, sklearn_train_rate = 0, ratio = 0;
  double sluice_cpu = 0, sklearn_cpu = 0;
  accuracy sluice_acc, sklearn_acc, truth_acc;
  bool learned = false;
};

config_result run_config(ml_task task, std::size_t dim, const bench_options& b, const fs::path& dir) {
  config_result c;
  c.name = std::string(task == ml_task::kmeans ? "k-means k=" + std::to_string(b.k) : "logistic") +
           " d=" + std::to_string(dim) + " b=" + std::to_string(b.batch_size);
  c.rows = std::max<std::size_t>(static_cast<std::size_t>(b.values / static_cast<double>(dim)), b.batch_size);
  auto csv = (dir / "train.csv").string(), init = (dir / "init.csv").string(),
       model_out = (dir / "model.json").string();
  auto d = make_ml_dataset(task, dim, b.k, c.rows, b.test_rows, b.batch_size, b.seed, csv);
  if (task == ml_task::kmeans)
    write_centres(d.initial_centres, init);
  std::printf("%s: %zu training rows (%.1f MB), %zu held-out, mini-batches of %u\n", c.name.c_str(),
              c.rows, static_cast<double>(d.train_bytes) / 1e6, b.test_rows, b.batch_size);
  std::fflush(stdout);
  std::vector<double> sl, sk, sk_train, sl_cpu, sk_cpu;
  run_result last_sluice, last_sklearn;
  std::string first_model;
  for (int round = 0; round < b.runs; ++round) {
    auto s = run_sluice(d, csv, model_out, b);
    std::ifstream f(model_out);
    std::string exported((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (round == 0)
      first_model = exported;
    else if (exported != first_model)  // the same mini-batches must give the same parameters
      throw std::runtime_error(c.name + ": round " + std::to_string(round + 1) +
                               " trained another model than round 1");
    auto k = run_sklearn(d, csv, init, b);
    sl.push_back(s.seconds);
    sl_cpu.push_back(s.cpu);
    sk.push_back(k.seconds);
    sk_train.push_back(k.train_seconds);
    sk_cpu.push_back(k.cpu);
    std::printf("  round %d: sluice %.3f s, scikit-learn %.3f s (%.3f s training)\n", round + 1,
                s.seconds, k.seconds, k.train_seconds);
    std::fflush(stdout);
    last_sluice = std::move(s);
    last_sklearn = std::move(k);
  }
  auto rows_d = static_cast<double>(c.rows);
  c.sluice_rate = rows_d / median(sl);
  c.sklearn_rate = rows_d / median(sk);
  c.sklearn_train_rate = rows_d / median(sk_train);
  c.ratio = c.sluice_rate / c.sklearn_rate;
  c.sluice_cpu = median(sl_cpu);
  c.sklearn_cpu = median(sk_cpu);
  c.sluice_acc = score(d, last_sluice.model);
  c.sklearn_acc = score(d, last_sklearn.model);
  final_model truth{d.true_centres, d.true_weights, d.true_intercept};
  c.truth_acc = score(d, truth);
  // Learned: k-means within 10% of the true centres' cost, or (same start, same local optimum)
  // within 2% of scikit-learn's; logistic within 3 points of the true hyperplane's accuracy.
  if (task == ml_task::kmeans)
    c.learned = c.sluice_acc.cost <= 1.10 * c.truth_acc.cost ||
                c.sluice_acc.cost <= 1.02 * c.sklearn_acc.cost;
  else
    c.learned = c.sluice_acc.cls.accuracy >= c.truth_acc.cls.accuracy - 0.03;
  return c;
}

std::string accuracy_text(const config_result& c, const accuracy& a) {
  char buf[96];
  if (c.name.rfind("k-means", 0) == 0)
    std::snprintf(buf, sizeof buf, "cost/pt %.3f", a.cost);
  else
    std::snprintf(buf, sizeof buf, "acc %.4f ll %.4f", a.cls.accuracy, a.cls.log_loss);
  return buf;
}

void print_summary(const std::vector<config_result>& all) {
  std::printf("\n%-25s %10s %10s %10s %7s %8s %8s  %-22s %-22s %s\n", "configuration", "sluice/s",
              "sklearn/s", "(train/s)", "ratio", "cpu sl", "cpu sk", "sluice held-out",
              "sklearn held-out", "true model");
  for (const auto& c : all)
    std::printf("%-25s %10.0f %10.0f %10.0f %6.2fx %8.2f %8.2f  %-22s %-22s %s\n", c.name.c_str(),
                c.sluice_rate, c.sklearn_rate, c.sklearn_train_rate, c.ratio, c.sluice_cpu,
                c.sklearn_cpu, accuracy_text(c, c.sluice_acc).c_str(),
                accuracy_text(c, c.sklearn_acc).c_str(), accuracy_text(c, c.truth_acc).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  bench_options b;
  CLI::App app{"Streaming k-means and logistic regression: Sluice's full job vs scikit-learn's "
               "partial_fit on the same CSV, in the same run."};
  app.add_option("--values", b.values, "Feature values per training set (rows = values / d)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--dims", b.dims, "Dimensions to run")->delimiter(',')->capture_default_str();
  app.add_option("--models", b.models, "kmeans, logistic")->delimiter(',')
      ->check(CLI::IsMember({"kmeans", "logistic"}))->capture_default_str();
  app.add_option("--k", b.k, "k-means clusters (and blobs)")->check(CLI::Range(1, 1000))->capture_default_str();
  app.add_option("--test-rows", b.test_rows, "Held-out rows")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--batch-size", b.batch_sizes,
                 "Rows per training mini-batch (both sides); several run one after the other")
      ->delimiter(',')->check(CLI::Range(1u, 1u << 24))->capture_default_str();
  app.add_option("--runs", b.runs, "Alternating rounds (Sluice, then scikit-learn)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--step-size", b.step_size, "Logistic: Spark's step size, scikit-learn's eta0")->capture_default_str();
  app.add_option("--reg-param", b.reg_param, "Logistic: L2 (Spark's regParam, scikit-learn's alpha)")->capture_default_str();
  app.add_option("--iterations", b.iterations, "Logistic: Sluice's SGD iterations per mini-batch")->capture_default_str();
  app.add_option("--convergence-tol", b.convergence_tol, "Logistic: Sluice's early stop")->capture_default_str();
  app.add_option("--seed", b.seed, "Seed of the data sets")->capture_default_str();
  app.add_option("--threads", b.threads, "Sluice's scheduler threads (0: one per core)")->capture_default_str();
  app.add_option("--sklearn-threads", b.sklearn_threads, "OpenMP threads of scikit-learn's k-means")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--python", b.python, "Interpreter with scikit-learn")->capture_default_str();
  app.add_option("--script", b.script, "The scikit-learn side")->capture_default_str();
  app.add_flag("--quick", b.quick, "1/10 of the data, one round");
  CLI11_PARSE(app, argc, argv);
  if (b.quick) {
    b.values /= 10;
    b.runs = 1;
  }
  try {
    temp_dir dir{"sluice-bench-ml"};
    std::printf("bench_ml: %zu cores, load %s, %d rounds, Sluice threads %s, scikit-learn OpenMP "
                "threads %d\n", static_cast<std::size_t>(std::thread::hardware_concurrency()),
                load_average().c_str(), b.runs,
                b.threads ? std::to_string(b.threads).c_str() : "default", b.sklearn_threads);
    std::vector<config_result> all;
    for (auto batch : b.batch_sizes)
      for (const auto& m : b.models)
        for (auto d : b.dims) {
          auto one = b;
          one.batch_size = batch;
          all.push_back(
              run_config(m == "kmeans" ? ml_task::kmeans : ml_task::logistic, d, one, dir.path));
        }
    print_summary(all);
    bool ok = true;
    for (const auto& c : all) {
      std::printf("%s: %.2fx scikit-learn's throughput (target >= 10x: %s)%s\n", c.name.c_str(),
                  c.ratio, c.ratio >= 10 ? "met" : "MISSED",
                  c.learned ? "" : "; the Sluice model DID NOT LEARN");
      ok = ok && c.learned;
    }
    std::printf("load at the end %s\n", load_average().c_str());
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_ml: error: %s\n", e.what());
    return 1;
  }
}
