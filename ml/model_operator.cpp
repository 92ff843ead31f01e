#include "ml/model_operator.hpp"

#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "state/serde.hpp"
#include "state/snapshot_format.hpp"

namespace sluice::ml {

model_operator::model_operator(std::unique_ptr<model_adapter> model, model_settings s)
    : model_(std::move(model)), settings_(std::move(s)) {
  if (settings_.batch_size == 0)
    throw std::invalid_argument("a model's mini-batch size must be at least 1");
}

void model_operator::open(const task_context& ctx) {
  dead_.emplace(ctx);
  checkpointing_ = ctx.checkpointing;
  if (settings_.model_in.empty())
    return;
  std::ifstream f(settings_.model_in);
  if (!f)
    throw std::runtime_error("cannot read --model-in file '" + settings_.model_in + "'");
  auto j = nlohmann::json::parse(f, nullptr, false);
  if (j.is_discarded())
    throw std::runtime_error("--model-in file '" + settings_.model_in + "' is not JSON");
  model_->load_json(j);
}

void model_operator::train(std::vector<example>& batch, std::vector<model_output>& out) {
  model_output u;
  u.kind = output_kind::update;
  u.batch_size = batch.size();
  u.batch_metric = last_batch_metric_ = model_->test_then_train(batch);
  u.running_metric = model_->running_metric();
  u.version = model_->version();
  out.push_back(std::move(u));
}

bool model_operator::admissible(const example& x, bool training) {
  auto dim = model_->dim() ? model_->dim() : dim_;
  std::string why;
  if (dim && x.features.size() != *dim)
    why = "expected " + std::to_string(*dim) + " features, got " + std::to_string(x.features.size());
  else if (x.features.empty())
    why = "no features";
  for (double v : x.features)
    if (why.empty() && !std::isfinite(v))
      why = "a feature is not finite";
  if (why.empty() && training)
    why = model_->check_label(x.label);
  if (why.empty()) {
    dim_ = x.features.size();
    return true;
  }
  std::string record = x.id;
  dead_->write(why, record);
  return false;
}

void model_operator::process(batch_base& in, emitter& out) {
  auto b = std::make_shared<batch<model_output>>();
  for (auto& x : as_batch<example>(in).items) {
    if (!admissible(x, true))
      continue;
    pending_.push_back(std::move(x));
    if (pending_.size() == settings_.batch_size) {
      train(pending_, b->items);
      pending_.clear();
    }
  }
  out.emit(std::move(b));
}

void model_operator::process2(batch_base& in, emitter& out) {
  auto b = std::make_shared<batch<model_output>>();
  for (const auto& x : as_batch<example>(in).items) {
    if (!admissible(x, false))
      continue;
    model_output p;
    p.kind = output_kind::prediction;
    p.id = x.id;
    model_->predict(x, p);
    b->items.push_back(std::move(p));
  }
  out.emit(std::move(b));
}

void model_operator::finish(emitter& out) {
  auto b = std::make_shared<batch<model_output>>();
  if (!pending_.empty()) {
    train(pending_, b->items);
    pending_.clear();
  }
  out.emit(std::move(b));
  if (!checkpointing_)
    dead_->flush();
  export_model();
}

void model_operator::checkpoint_complete(uint64_t id, bool final) {
  dead_->commit_upto(final ? UINT64_MAX : id);
}

void model_operator::export_model() const {
  if (settings_.model_out.empty())
    return;
  auto j = model_->to_json();
  state::write_file_atomically(settings_.model_out, j.dump(2) + "\n");
}

void model_operator::snapshot_state(operator_snapshot& snap) {
  std::string dead = checkpointing_ ? dead_->precommit(snap.checkpoint_id) : std::string{};
  snap.set_operator_state(state::encode(std::make_tuple(model_->save(), pending_, dead)));
  snap.description = "{\"model\": \"" + model_->kind() + "\", \"version\": " +
                     std::to_string(model_->version()) +
                     ", \"pending_examples\": " + std::to_string(pending_.size()) + "}";
}

void model_operator::restore_state(const operator_restore& r) {
  if (!r.operator_state)
    return;
  auto [model, pending, dead] = state::decode<std::tuple<std::string, std::vector<example>, std::string>>(
      *r.operator_state, "model");
  model_->load(model);
  pending_ = std::move(pending);
  dead_->restore(dead);
}

void model_operator::gauges(std::vector<std::pair<std::string, double>>& out) const {
  out.emplace_back("version", static_cast<double>(model_->version()));
  out.emplace_back(model_->metric_name(), model_->running_metric());
  out.emplace_back("last_batch_" + model_->metric_name(), last_batch_metric_);
  for (auto& g : model_->extra_gauges())
    out.push_back(std::move(g));
}

}  // namespace sluice::ml
