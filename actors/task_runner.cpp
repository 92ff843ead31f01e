#include "actors/task_runner.hpp"

namespace sluice::actors {

/// Emitter that hands a batch to chain position k (the output gate when k == ops_.size()).
class task_runner::link final : public emitter {
 public:
  link(task_runner& r, std::size_t k) : r_(r), k_(k) {}
  void emit(batch_ptr b) override {
    if (b && b->size() > 0)
      r_.deliver(k_, std::move(b));
  }
  void end_epoch(uint64_t epoch) override {
    if (k_ == r_.ops_.size())
      r_.gate_.push_epoch(epoch);
    else
      r_.call_op(k_, [&](operator_logic& op) { op.on_epoch_end(epoch, *r_.links_[k_ + 1]); });
  }

 private:
  task_runner& r_;
  std::size_t k_;
};

namespace {

router_ptr make_router(const task_spec& s, const plan_options& o) {
  if (s.outputs.empty() || !s.output_router)
    return nullptr;
  return s.output_router(static_cast<uint32_t>(s.outputs.size()), o.max_parallelism, o.batch_size);
}

}  // namespace

task_runner::task_runner(const physical_plan& plan, uint32_t task_id, transport& t)
    : spec_(plan.tasks.at(task_id)),
      plan_(plan),
      transport_(t),
      inputs_(static_cast<uint32_t>(spec_.inputs.size())),
      gate_(make_router(spec_, plan.options), t, plan.options.batch_size) {
  const auto& g = *plan.graph;
  for (auto node_id : spec_.chain) {
    auto ctx = plan.context_of(node_id, spec_.ctx.subtask);
    if (g.node(node_id).kind == node_kind::source)
      source_ = g.node(node_id).make_source(ctx);
    else
      ops_.push_back(g.node(node_id).make_operator(ctx));
  }
  for (std::size_t k = 0; k <= ops_.size(); ++k)
    links_.push_back(std::make_unique<link>(*this, k));
  op_records_in_.assign(ops_.size() + 1, 0);
}

task_runner::~task_runner() = default;

void task_runner::fail(std::size_t op, const std::exception& e) {
  std::size_t base = source_ ? 1 : 0;
  std::string uid = spec_.name;
  if (!spec_.chain.empty()) {
    auto idx = std::min(op + base, spec_.chain.size() - 1);
    uid = plan_.graph->node(spec_.chain[idx]).uid;
  }
  throw task_failure("operator '" + uid + "' (subtask " + std::to_string(spec_.ctx.subtask) +
                     "): " + e.what());
}

void task_runner::start() {
  const auto& g = *plan_.graph;
  std::size_t op = 0;
  for (auto node_id : spec_.chain) {
    auto ctx = plan_.context_of(node_id, spec_.ctx.subtask);
    if (g.node(node_id).kind == node_kind::source) {
      try {
        source_->open(ctx);
      } catch (const std::exception& e) {
        throw task_failure("source '" + ctx.uid + "': " + e.what());
      }
    } else {
      call_op(op++, [&](operator_logic& o) { o.open(ctx); });
    }
  }
  if (plan_.restore)
    restore_chain();
  for (uint32_t i = 0; i < inputs_.inputs(); ++i)
    transport_.grant_credit(i, plan_.options.credits);
  if (inputs_.inputs() == 0 && !source_)
    begin_finish();  // nothing can ever arrive
}

void task_runner::deliver(std::size_t k, batch_ptr b) {
  op_records_in_[k] += b->size();
  if (k == ops_.size()) {
    gate_.push(*b);
    return;
  }
  call_op(k, [&](operator_logic& op) { op.process(*b, *links_[k + 1]); });
}

void task_runner::on_batch(uint32_t input, batch_ptr b) {
  inputs_.on_batch(input, std::move(b));
  drain();
}

void task_runner::on_epoch(uint32_t input, uint64_t epoch) {
  inputs_.on_epoch(input, epoch);
  drain();
}

void task_runner::on_barrier(uint32_t input, uint64_t id) {
  inputs_.on_barrier(input, id);
  drain();
}

void task_runner::on_eos(uint32_t input) {
  inputs_.on_eos(input);
  drain();
}

void task_runner::on_credit(uint32_t output, uint32_t n) {
  gate_.add_credit(output, n);
  if (finishing_)
    try_complete();
  else
    drain();
}

void task_runner::on_linger() {
  if (!finished_)
    gate_.flush_partial();
}

void task_runner::on_timer(std::size_t op) {
  if (finishing_ || op >= ops_.size())
    return;
  call_op(op, [&](operator_logic& o) { o.on_timer(*links_[op + 1]); });
}

void task_runner::drain() {
  if (draining_ || finishing_ || source_)
    return;  // re-entered from an emit inside processing, or nothing to drain (a source)
  draining_ = true;
  while (!gate_.blocked()) {
    auto ev = inputs_.next();
    if (!ev)
      break;
    if (auto* d = std::get_if<input_gate::data>(&*ev)) {
      ++batches_in_;
      if (spec_.inputs[d->input].port == 1) {
        op_records_in_[0] += d->batch->size();
        call_op(0, [&](operator_logic& op) { op.process2(*d->batch, *links_[1]); });
      } else {
        deliver(0, std::move(d->batch));
      }
      transport_.grant_credit(d->input, 1);
    } else if (auto* e = std::get_if<input_gate::epoch_aligned>(&*ev)) {
      links_[0]->end_epoch(e->epoch);
    } else if (auto* b = std::get_if<input_gate::barrier_aligned>(&*ev)) {
      take_snapshot(b->checkpoint);
      gate_.push_barrier(b->checkpoint);
    } else {
      draining_ = false;
      begin_finish();
      return;
    }
  }
  draining_ = false;
}

poll_next task_runner::poll() {
  if (finishing_)
    return poll_next::never;
  if (gate_.blocked())
    return poll_next::blocked;
  poll_status st;
  try {
    st = source_->poll(*links_[0], plan_.options.batch_size);
  } catch (const task_failure&) {
    throw;
  } catch (const std::exception& e) {
    throw task_failure("source '" + spec_.ctx.uid + "' (subtask " +
                       std::to_string(spec_.ctx.subtask) + "): " + e.what());
  }
  switch (st) {
    case poll_status::more:
      return gate_.blocked() ? poll_next::blocked : poll_next::now;
    case poll_status::idle:
      return poll_next::later;
    case poll_status::finished:
      break;
  }
  begin_finish();
  return poll_next::never;
}

void task_runner::on_trigger(uint64_t id) {
  if (finishing_)
    return;  // the coordinator asks finished tasks for their state directly
  take_snapshot(id);
  gate_.push_barrier(id);
}

void task_runner::on_snapshot_request(uint64_t id) { take_snapshot(id); }

void task_runner::on_checkpoint_complete(uint64_t id, bool final) {
  if (source_) {
    try {
      source_->checkpoint_complete(id, final);
    } catch (const std::exception& e) {
      throw task_failure("source '" + spec_.ctx.uid + "': " + e.what());
    }
  }
  for (std::size_t k = 0; k < ops_.size(); ++k)
    call_op(k, [&](operator_logic& op) { op.checkpoint_complete(id, final); });
}

void task_runner::request_stop() {
  if (source_)
    source_->request_stop();
}

void task_runner::begin_finish() {
  if (finishing_)
    return;
  finishing_ = true;
  if (!restored_final_)
    for (std::size_t k = 0; k < ops_.size(); ++k)
      call_op(k, [&](operator_logic& op) { op.finish(*links_[k + 1]); });
  gate_.flush_all();
  try_complete();
}

void task_runner::try_complete() {
  if (finished_)
    return;
  gate_.pump();
  if (!gate_.empty())
    return;  // waiting for credit
  for (uint32_t o = 0; o < gate_.outputs(); ++o)
    transport_.send_eos(o);
  finished_ = true;
}

std::vector<std::chrono::milliseconds> task_runner::timer_periods() const {
  std::vector<std::chrono::milliseconds> out;
  for (const auto& op : ops_)
    out.push_back(op->timer_period());
  return out;
}

task_metrics task_runner::metrics() const {
  task_metrics m;
  m.records_in = op_records_in_.front();
  if (source_) {
    m.bytes_read = source_->bytes_read();
    m.bytes_total = source_->bytes_total();
  }
  m.records_out = gate_.records_out();
  m.batches_in = batches_in_;
  m.batches_out = gate_.batches_out();
  m.backpressure_ns = gate_.backpressure_ns();
  m.max_in_flight_records = gate_.max_in_flight_records();
  m.max_in_flight_batches = gate_.max_in_flight_batches();
  m.op_records = op_records_in_;
  std::vector<std::pair<std::string, double>> gauges;
  for (std::size_t k = 0; k < ops_.size(); ++k) {
    m.op_dead_letters.push_back(ops_[k]->dead_letters());
    gauges.clear();
    ops_[k]->gauges(gauges);
    for (auto& [name, value] : gauges) {
      m.gauge_names.push_back(std::to_string(k) + ":" + name);
      m.gauge_values.push_back(value);
    }
  }
  return m;
}

}  // namespace sluice::actors
