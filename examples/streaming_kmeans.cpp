// Streaming k-means (Spark MLlib's StreamingKMeans): CSV points from a file, a directory, a socket
// or a Kafka-free text source train the model in mini-batches of --batch-size points; --predict
// asks it which cluster other points belong to. The final model (centres, weights, version) goes
// to --model-out as JSON. With --checkpoint-dir the centres survive kill -9 bit for bit.
//   streaming_kmeans --input examples/data/iris.csv --k 3 --label-column --model-out km.json
#include <fstream>
#include <iostream>

#include "examples/ml_common.hpp"

int main(int argc, char** argv) {
  sluice::cli cli{"streaming_kmeans", "Streaming k-means over CSV points (Spark MLlib semantics)."};
  auto& app = cli.app();
  sluice::ml::kmeans_model_options km;
  sluice::ml::model_settings settings;
  std::string half_life, time_unit = "batches", init_centres, predict, predictions_dir;
  bool label_column = false;
  auto* g = "Model";
  app.add_option("--k", km.model.k, "Number of clusters")->group(g)->check(CLI::Range(1, 100000))->capture_default_str();
  auto* decay = app.add_option("--decay-factor", km.model.decay_factor, "Forgetfulness a in [0, 1]")
                    ->group(g)->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("--half-life", half_life, "Half-life in time units (instead of --decay-factor)")
      ->group(g)->excludes(decay);
  app.add_option("--time-unit", time_unit, "What the decay applies per")
      ->group(g)->check(CLI::IsMember({"batches", "points"}))->capture_default_str();
  app.add_option("--init-centers", init_centres, "CSV file of initial centres (default: random)")->group(g);
  app.add_option("--init-weight", km.initial_weight, "Weight of each initial centre")->group(g)->capture_default_str();
  app.add_option("--seed", km.seed, "Seed of random initial centres")->group(g)->capture_default_str();
  app.add_option("--batch-size", settings.batch_size, "Points per training mini-batch")
      ->group(g)->check(CLI::Range(1u, 1u << 24))->capture_default_str();
  app.add_flag("--label-column", label_column, "The last CSV column is a label: ignore it")->group(g);
  app.add_option("--predict", predict, "File of points to assign to clusters as they arrive")->group(g);
  app.add_option("--predictions", predictions_dir, "Directory for predictions and updates (default: console)")->group(g);
  app.add_option("--model-out", settings.model_out, "Write the final model as JSON here")->group(g);
  app.add_option("--model-in", settings.model_in, "Start from a model exported with --model-out")->group(g);
  if (auto rc = cli.parse(argc, argv))
    return *rc;
  try {
    if (!half_life.empty()) {
      double h = std::stod(half_life);
      if (!(h > 0))
        return sluice::report_error(cli.name(), "--half-life must be positive");
      km.model.half_life = h;
    }
    km.model.unit = time_unit == "points" ? sluice::ml::time_unit::points : sluice::ml::time_unit::batches;
    if (!init_centres.empty()) {
      std::ifstream f(init_centres);
      if (!f)
        return sluice::report_error(cli.name(), "cannot read --init-centers '" + init_centres + "'");
      std::vector<std::vector<double>> rows;
      std::string line;
      while (std::getline(f, line)) {
        if (line.empty())
          continue;
        auto p = sluice::examples::parse_csv_example(line, false, 0);
        if (!p.value)
          return sluice::report_error(cli.name(), "--init-centers: " + p.error);
        rows.push_back(p.value->features);
      }
      if (rows.size() != static_cast<std::size_t>(km.model.k))
        return sluice::report_error(cli.name(), "--init-centers has " + std::to_string(rows.size()) +
                                                    " centres, --k is " + std::to_string(km.model.k));
      Eigen::MatrixXd c(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rows[0].size()));
      for (std::size_t r = 0; r < rows.size(); ++r) {
        if (rows[r].size() != rows[0].size())
          return sluice::report_error(cli.name(), "--init-centers rows differ in length");
        for (std::size_t j = 0; j < rows[r].size(); ++j)
          c(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(j)) = rows[r][j];
      }
      km.initial_centres = c;
    }
    std::optional<sluice::examples::kafka_demo> demo;
    auto& o = cli.options();
    sluice::environment env{o};
    auto parse = [label_column](const std::string& l) {
      return sluice::examples::parse_csv_example(l, label_column, 0);
    };
    auto points = sluice::examples::training_lines(env, o, demo, cli.name());
    auto model = sluice::ml::kmeans(env, km, settings, "kmeans");
    model.train_on(points.parse<sluice::ml::example>(parse, "parse").parallelism(1));
    return sluice::examples::run_model(env, model, "kmeans", predict, predictions_dir, parse,
                                       cli.name());
  } catch (const std::exception& e) {
    return sluice::report_error(cli.name(), e.what());
  }
}
