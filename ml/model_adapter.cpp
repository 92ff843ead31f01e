#include "ml/model_adapter.hpp"

#include <cmath>
#include <stdexcept>

#include "ml/evaluation.hpp"
#include "state/serde.hpp"

namespace sluice::ml {

namespace {

Eigen::MatrixXd features_of(const std::vector<example>& batch, Eigen::Index dim) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(batch.size()), dim);
  for (std::size_t r = 0; r < batch.size(); ++r) {
    if (static_cast<Eigen::Index>(batch[r].features.size()) != dim)
      throw std::invalid_argument("example '" + batch[r].id + "' has " +
                                  std::to_string(batch[r].features.size()) +
                                  " features, the model has " + std::to_string(dim));
    for (Eigen::Index c = 0; c < dim; ++c)
      m(static_cast<Eigen::Index>(r), c) = batch[r].features[static_cast<std::size_t>(c)];
  }
  return m;
}

Eigen::VectorXd vector_of(const example& x) {
  return Eigen::Map<const Eigen::VectorXd>(x.features.data(),
                                           static_cast<Eigen::Index>(x.features.size()));
}

void check_status(const state_status& s, const char* what) {
  if (!s.ok())
    throw std::runtime_error(std::string{what} + ": " + s.message);
}

/// Bytes of (initialized, model state, counters) — the evaluation totals ride with the model.
std::string pack(bool ready, const std::string& model, const std::vector<double>& counters) {
  return state::encode(std::make_tuple(ready, model, counters));
}

std::tuple<bool, std::string, std::vector<double>> unpack(std::string_view bytes) {
  return state::decode<std::tuple<bool, std::string, std::vector<double>>>(bytes, "model state");
}

class kmeans_adapter final : public model_adapter {
 public:
  explicit kmeans_adapter(kmeans_model_options o) : o_(std::move(o)) {
    if (o_.initial_centres)
      model_.emplace(o_.model, *o_.initial_centres,
                     Eigen::VectorXd::Constant(o_.initial_centres->rows(), o_.initial_weight));
  }
  std::string kind() const override { return "streaming_kmeans"; }
  std::string metric_name() const override { return "cost"; }

  double test_then_train(const std::vector<example>& batch) override {
    init(batch.front());
    auto points = features_of(batch, model_->dim());
    // The update assigns every point with the centres from before it, so its report carries the
    // prequential cost (kmeans_cost of the same centres, bit for bit) without a second pass.
    double cost = model_->update(points).cost;
    total_ += cost;
    count_ += static_cast<double>(batch.size());
    return cost / static_cast<double>(batch.size());
  }
  double running_metric() const override { return count_ > 0 ? total_ / count_ : 0; }
  void predict(const example& x, model_output& out) override {
    init(x);
    auto n = model_->nearest(vector_of(x));
    out.value = static_cast<double>(n.index);
    out.probability = 0;
    out.version = model_->version();
  }
  uint64_t version() const override { return model_ ? model_->version() : 0; }
  std::optional<std::size_t> dim() const override {
    return model_ ? std::optional<std::size_t>(static_cast<std::size_t>(model_->dim())) : std::nullopt;
  }
  std::string save() const override {
    std::string bytes;
    if (model_)
      model_->save_state(bytes);
    return pack(model_.has_value(), bytes, {total_, count_, model_ ? double(model_->dim()) : 0});
  }
  void load(std::string_view bytes) override {
    auto [ready, model, counters] = unpack(bytes);
    total_ = counters.at(0);
    count_ = counters.at(1);
    if (!ready)
      return;
    make(static_cast<Eigen::Index>(counters.at(2)));
    check_status(model_->load_state(model), "k-means state");
  }
  nlohmann::json to_json() const override { return model_ ? model_->to_json() : nlohmann::json{}; }
  void load_json(const nlohmann::json& j) override {
    auto centres = j.at("centres");
    make(static_cast<Eigen::Index>(centres.at(0).size()));
    check_status(model_->from_json(j), "k-means model");
  }

 private:
  void make(Eigen::Index dim) {
    if (!model_ || model_->dim() != dim)
      model_.emplace(streaming_kmeans::with_random_centres(o_.model, dim, o_.initial_weight, o_.seed));
  }
  void init(const example& x) {
    if (!model_)
      make(static_cast<Eigen::Index>(x.features.size()));
  }

  kmeans_model_options o_;
  std::optional<streaming_kmeans> model_;
  double total_ = 0;
  double count_ = 0;
};

/// Linear and logistic regression share everything but the metric and the prediction.
template <class Model, class Options>
class regression_adapter : public model_adapter {
 public:
  explicit regression_adapter(Options o) : o_(std::move(o)) {}

  uint64_t version() const override { return model_ ? model_->version() : 0; }
  std::optional<std::size_t> dim() const override {
    return model_ ? std::optional<std::size_t>(static_cast<std::size_t>(model_->num_features()))
                  : std::nullopt;
  }
  std::string save() const override {
    std::string bytes;
    if (model_)
      model_->save_state(bytes);
    auto counters = counters_;
    counters.push_back(model_ ? double(model_->num_features()) : 0);
    return pack(model_.has_value(), bytes, counters);
  }
  void load(std::string_view bytes) override {
    auto [ready, model, counters] = unpack(bytes);
    if (counters.size() != counters_.size() + 1)
      throw std::runtime_error("model state has the wrong evaluation counters");
    std::copy(counters.begin(), counters.end() - 1, counters_.begin());
    if (!ready)
      return;
    make(static_cast<Eigen::Index>(counters.back()));
    check_status(model_->load_state(model), "regression state");
  }
  nlohmann::json to_json() const override { return model_ ? model_->to_json() : nlohmann::json{}; }
  void load_json(const nlohmann::json& j) override {
    make(static_cast<Eigen::Index>(j.at("weights").size()));
    check_status(model_->from_json(j), "regression model");
  }

 protected:
  void make(Eigen::Index dim) {
    if (!model_ || model_->num_features() != dim)
      model_.emplace(Eigen::VectorXd::Zero(dim), o_);
  }
  void init(const example& x) {
    if (!model_)
      make(static_cast<Eigen::Index>(x.features.size()));
  }
  labeled_batch to_batch(const std::vector<example>& batch) {
    labeled_batch b;
    b.features = features_of(batch, model_->num_features());
    b.labels.resize(static_cast<Eigen::Index>(batch.size()));
    for (std::size_t i = 0; i < batch.size(); ++i)
      b.labels(static_cast<Eigen::Index>(i)) = batch[i].label;
    return b;
  }

  Options o_;
  std::optional<Model> model_;
  std::vector<double> counters_ = std::vector<double>(3, 0.0);
};

class linear_adapter final : public regression_adapter<streaming_linear_regression, sgd_options> {
 public:
  using regression_adapter::regression_adapter;
  std::string kind() const override { return "streaming_linear_regression"; }
  std::string metric_name() const override { return "mse"; }
  double test_then_train(const std::vector<example>& batch) override {
    init(batch.front());
    auto b = to_batch(batch);
    double sse = 0;
    for (Eigen::Index r = 0; r < b.features.rows(); ++r) {
      double e = model_->predict(b.features.row(r).transpose()) - b.labels(r);
      sse += e * e;
    }
    counters_[0] += sse;
    counters_[1] += static_cast<double>(batch.size());
    model_->update(b);
    return sse / static_cast<double>(batch.size());
  }
  double running_metric() const override { return counters_[1] > 0 ? counters_[0] / counters_[1] : 0; }
  void predict(const example& x, model_output& out) override {
    init(x);
    out.value = model_->predict(vector_of(x));
    out.version = model_->version();
  }
};

class logistic_adapter final
    : public regression_adapter<streaming_logistic_regression, logistic_regression_options> {
 public:
  using regression_adapter::regression_adapter;
  std::string kind() const override { return "streaming_logistic_regression"; }
  std::string metric_name() const override { return "accuracy"; }
  std::string check_label(double label) const override {
    return label == 0 || label == 1 ? std::string{} : "a logistic label must be 0 or 1";
  }
  double test_then_train(const std::vector<example>& batch) override {
    init(batch.front());
    auto b = to_batch(batch);
    classification_evaluator eval;
    eval.test(*model_, b);
    counters_[0] += static_cast<double>(eval.correct());
    counters_[1] += static_cast<double>(eval.count());
    counters_[2] += *eval.log_loss() * static_cast<double>(eval.count());
    model_->update(b);
    return *eval.accuracy();
  }
  double running_metric() const override { return counters_[1] > 0 ? counters_[0] / counters_[1] : 0; }
  std::vector<std::pair<std::string, double>> extra_gauges() const override {
    return {{"log_loss", counters_[1] > 0 ? counters_[2] / counters_[1] : 0}};
  }
  void predict(const example& x, model_output& out) override {
    init(x);
    auto c = model_->predict(vector_of(x));
    out.value = c.label;
    out.probability = c.probability;
    out.version = model_->version();
  }
};

}  // namespace

std::unique_ptr<model_adapter> make_kmeans_adapter(kmeans_model_options o) {
  return std::make_unique<kmeans_adapter>(std::move(o));
}

std::unique_ptr<model_adapter> make_linear_adapter(sgd_options o) {
  return std::make_unique<linear_adapter>(o);
}

std::unique_ptr<model_adapter> make_logistic_adapter(logistic_regression_options o) {
  return std::make_unique<logistic_adapter>(o);
}

}  // namespace sluice::ml
