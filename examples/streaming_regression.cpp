// Streaming linear or logistic regression by SGD (Spark MLlib's StreamingLinearRegressionWithSGD
// and StreamingLogisticRegressionWithSGD): CSV rows "features...,label" train the model in
// mini-batches of --batch-size rows; --predict scores other rows as they arrive. Every mini-batch
// is scored before it trains (prequential evaluation: MSE, or accuracy and log-loss). The final
// model goes to --model-out as JSON; with --checkpoint-dir the weights survive kill -9 bit for bit.
//   streaming_regression --model logistic --input examples/data/breast_cancer.csv --intercept
#include <iostream>

#include "examples/ml_common.hpp"

int main(int argc, char** argv) {
  sluice::cli cli{"streaming_regression", "Streaming linear or logistic regression by SGD over CSV rows."};
  auto& app = cli.app();
  std::string kind = "linear", predict, predictions_dir;
  sluice::ml::logistic_regression_options lo;
  sluice::ml::model_settings settings;
  auto& sgd = lo.sgd;
  auto* g = "Model";
  app.add_option("--model", kind, "linear or logistic")->group(g)->check(CLI::IsMember({"linear", "logistic"}))->capture_default_str();
  app.add_option("--step-size", sgd.step_size, "SGD step size")->group(g)->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--iterations", sgd.iterations, "Iterations per mini-batch")->group(g)->check(CLI::Range(1, 1000000))->capture_default_str();
  app.add_option("--mini-batch-fraction", sgd.mini_batch_fraction, "Fraction of a mini-batch sampled per iteration")
      ->group(g)->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("--reg-param", lo.reg_param, "L2 regularization (logistic)")->group(g)->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--convergence-tol", sgd.convergence_tol, "Early stop tolerance")->group(g)->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_flag("--intercept", sgd.fit_intercept, "Fit an intercept (Spark has none)")->group(g);
  app.add_option("--seed", sgd.seed, "Seed of mini-batch sampling")->group(g)->capture_default_str();
  app.add_option("--batch-size", settings.batch_size, "Rows per training mini-batch")
      ->group(g)->check(CLI::Range(1u, 1u << 24))->capture_default_str();
  app.add_option("--predict", predict, "File of rows to score as they arrive (label column ignored)")->group(g);
  app.add_option("--predictions", predictions_dir, "Directory for predictions and updates (default: console)")->group(g);
  app.add_option("--model-out", settings.model_out, "Write the final model as JSON here")->group(g);
  app.add_option("--model-in", settings.model_in, "Start from a model exported with --model-out")->group(g);
  if (auto rc = cli.parse(argc, argv))
    return *rc;
  try {
    std::optional<sluice::examples::kafka_demo> demo;
    auto& o = cli.options();
    sluice::environment env{o};
    auto parse = [](const std::string& l) { return sluice::examples::parse_csv_example(l, true, 0); };
    auto model = kind == "logistic" ? sluice::ml::logistic_regression(env, lo, settings, "model")
                                    : sluice::ml::linear_regression(env, sgd, settings, "model");
    model.train_on(sluice::examples::training_lines(env, o, demo, cli.name())
                       .parse<sluice::ml::example>(parse, "parse")
                       .parallelism(1));
    return sluice::examples::run_model(env, model, "model", predict, predictions_dir, parse,
                                       cli.name());
  } catch (const std::exception& e) {
    return sluice::report_error(cli.name(), e.what());
  }
}
