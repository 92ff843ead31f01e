// The logic of a model actor: a two-input operator whose first input trains the model and whose
// second asks it for predictions. Training examples form mini-batches of exactly `batch_size`
// examples in arrival order (the last one at end of input may be shorter); each is scored first
// (prequential evaluation), then applied, and emits an update record. Every prediction carries the
// model version that made it. The parameters, the partial mini-batch and the evaluation totals are
// checkpointed, so a recovered job ends with parameters bit-identical to a run that never failed
// (as long as its training stream has one ordered channel: the plan requires parallelism 1).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/dead_letters.hpp"
#include "ml/example.hpp"
#include "ml/model_adapter.hpp"
#include "sluice/operator.hpp"

namespace sluice::ml {

struct model_settings {
  uint32_t batch_size = 100;   ///< training examples per mini-batch
  std::string model_out;       ///< write the final model as JSON here ("" none)
  std::string model_in;        ///< start from this exported model ("" none)
};

class model_operator final : public operator_logic {
 public:
  model_operator(std::unique_ptr<model_adapter> model, model_settings s);

  void open(const task_context& ctx) override;
  void process(batch_base& in, emitter& out) override;   // training examples
  void process2(batch_base& in, emitter& out) override;  // prediction requests
  void finish(emitter& out) override;
  void snapshot_state(operator_snapshot& snap) override;
  void restore_state(const operator_restore& r) override;
  void gauges(std::vector<std::pair<std::string, double>>& out) const override;
  void checkpoint_complete(uint64_t id, bool final) override;
  uint64_t dead_letters() const override { return dead_ ? dead_->count() : 0; }

 private:
  void train(std::vector<example>& batch, std::vector<model_output>& out);
  void export_model() const;
  /// Examples the model cannot take (another number of features, not finite) become dead
  /// letters instead of failing the job.
  bool admissible(const example& x, bool training);

  std::unique_ptr<model_adapter> model_;
  model_settings settings_;
  std::vector<example> pending_;  // the partial mini-batch
  double last_batch_metric_ = 0;
  std::optional<std::size_t> dim_;  // the first example's dimension, until the model knows its own
  std::optional<dead_letter_writer> dead_;
  bool checkpointing_ = false;
};

}  // namespace sluice::ml
