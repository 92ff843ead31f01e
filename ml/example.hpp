// The records online models consume and produce: an example (features, a label for training,
// an id that predictions carry back) and a model output (a prediction or a training update, each
// tagged with the model version that produced it). Both cross actors (CAF inspect).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace sluice::ml {

struct example {
  std::string id;                 ///< carried into the prediction ("" when none)
  std::vector<double> features;
  double label = 0;               ///< training only: a value (linear), 0/1 (logistic)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, example& x) {
  return f(caf::meta::type_name("sluice.ml.example"), x.id, x.features, x.label);
}

enum class output_kind : uint8_t {
  prediction = 0,  ///< an answer to a prediction request
  update = 1,      ///< a training mini-batch was applied
};

struct model_output {
  output_kind kind = output_kind::prediction;
  uint64_t version = 0;       ///< updates applied to the model that produced this
  std::string id;             ///< prediction: the request's id
  double value = 0;           ///< prediction: value (linear), class (logistic), cluster (k-means)
  double probability = 0;     ///< logistic: P(class 1)
  uint64_t batch_size = 0;    ///< update: examples in the mini-batch
  double batch_metric = 0;    ///< update: prequential metric of this batch (tested before training)
  double running_metric = 0;  ///< update: prequential metric over every batch so far
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, model_output& x) {
  auto kind = static_cast<uint8_t>(x.kind);
  auto r = f(caf::meta::type_name("sluice.ml.model_output"), kind, x.version, x.id, x.value,
             x.probability, x.batch_size, x.batch_metric, x.running_metric);
  x.kind = static_cast<output_kind>(kind);
  return r;
}

}  // namespace sluice::ml
