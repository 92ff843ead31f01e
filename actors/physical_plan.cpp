#include "actors/physical_plan.hpp"

namespace sluice::actors {

namespace {

uint32_t effective_parallelism(const graph_node& n, const plan_options& opts) {
  if (n.parallelism > 0)
    return n.parallelism;
  return n.prefers_single ? 1 : opts.parallelism;
}

struct builder {
  const job_graph& g;
  const plan_options& opts;
  physical_plan plan;
  std::vector<int64_t> chain_of;              // node -> index into chains
  std::vector<std::vector<uint32_t>> chains;  // node ids, head first
  std::vector<std::vector<uint32_t>> chain_tasks;  // chain -> task ids by subtask

  bool chains_to_input(const graph_node& n) const {
    if (!n.input || n.kind == node_kind::source || n.input2 || n.starts_chain)
      return false;
    const auto& up = g.node(*n.input);
    return n.input_partitioning == partitioning::forward &&
           plan.parallelism[n.id] == plan.parallelism[up.id];
  }

  void validate() {
    if (g.nodes().empty())
      throw plan_error("the job has no operators");
    for (const auto& n : g.nodes()) {
      auto consumers = g.consumers(n.id);
      if (consumers.size() > 1)
        throw plan_error("operator '" + n.uid +
                         "' feeds several operators; fan-out is not supported yet");
      if (n.kind == node_kind::sink && !consumers.empty())
        throw plan_error("sink '" + n.uid + "' cannot have downstream operators");
      if (n.kind != node_kind::source && !n.input)
        throw plan_error("operator '" + n.uid + "' has no input");
      if (n.parallelism > opts.max_parallelism)
        throw plan_error("operator '" + n.uid + "' has parallelism " +
                         std::to_string(n.parallelism) + " above max parallelism " +
                         std::to_string(opts.max_parallelism));
    }
  }

  // Records reach `n` in one deterministic order only if every operator upstream of its first
  // input runs as a single subtask (several subtasks interleave by timing).
  void check_ordered(const graph_node& n, uint32_t up) {
    const auto& u = g.node(up);
    if (plan.parallelism[up] != 1)
      throw plan_error("'" + n.uid + "' needs its first input in one deterministic order, but '" +
                       u.uid + "' upstream of it runs with parallelism " +
                       std::to_string(plan.parallelism[up]) + "; give it parallelism 1");
    if (u.input)
      check_ordered(n, *u.input);
    if (u.input2)
      check_ordered(n, *u.input2);
  }

  void form_chains() {
    chain_of.assign(g.nodes().size(), -1);
    for (const auto& n : g.nodes()) {  // nodes are in topological order (inputs come first)
      if (chains_to_input(n)) {
        auto c = chain_of[*n.input];
        chains[c].push_back(n.id);
        chain_of[n.id] = c;
      } else {
        chain_of[n.id] = static_cast<int64_t>(chains.size());
        chains.push_back({n.id});
      }
    }
  }

  void make_chain_tasks() {
    chain_tasks.resize(chains.size());
    for (std::size_t c = 0; c < chains.size(); ++c) {
      const auto& head = g.node(chains[c].front());
      auto par = plan.parallelism[head.id];
      for (uint32_t i = 0; i < par; ++i) {
        task_spec t;
        t.id = static_cast<uint32_t>(plan.tasks.size());
        t.kind = head.kind == node_kind::source ? task_kind::source : task_kind::chain;
        t.chain = chains[c];
        t.name = head.uid + "#" + std::to_string(i);
        t.ctx = task_context{head.uid, i, par, opts.max_parallelism, opts.batch_size};
        t.ctx.state_backend = opts.state_backend;
        chain_tasks[c].push_back(t.id);
        plan.tasks.push_back(std::move(t));
      }
    }
  }

  // Upstream subtask u -> partition task P_u -> every downstream subtask.
  void connect(std::size_t up_chain, std::size_t down_chain, uint32_t port) {
    const auto& tail = g.node(chains[up_chain].back());
    const auto& head = g.node(chains[down_chain].front());
    auto declared = port == 0 ? head.input_partitioning : head.input2_partitioning;
    const auto& keyed_router = port == 0 ? head.input_router : head.input2_router;
    auto mode = declared == partitioning::forward ? partitioning::rebalance : declared;
    for (auto up_task : chain_tasks[up_chain]) {
      task_spec p;
      p.id = static_cast<uint32_t>(plan.tasks.size());
      p.kind = task_kind::partition;
      const auto& up = plan.tasks[up_task];
      p.name = "partition(" + tail.uid + ")#" + std::to_string(up.ctx.subtask);
      p.ctx = task_context{tail.uid + ".partition", up.ctx.subtask, up.ctx.parallelism,
                           opts.max_parallelism, opts.batch_size};
      p.inputs.push_back({up_task, 0});
      plan.tasks[up_task].outputs.push_back({p.id, 0});
      plan.tasks[up_task].output_router = tail.output_router(partitioning::forward);
      p.output_router = mode == partitioning::hash ? keyed_router : tail.output_router(mode);
      for (auto down_task : chain_tasks[down_chain]) {
        auto& d = plan.tasks[down_task];
        p.outputs.push_back({down_task, static_cast<uint32_t>(d.inputs.size())});
        d.inputs.push_back({p.id, static_cast<uint32_t>(p.outputs.size() - 1), port});
      }
      plan.tasks.push_back(std::move(p));
    }
  }

  physical_plan run() {
    validate();
    plan.graph = &g;
    plan.options = opts;
    for (const auto& n : g.nodes())
      plan.parallelism.push_back(effective_parallelism(n, opts));
    for (const auto& n : g.nodes())
      if (plan.parallelism[n.id] > opts.max_parallelism)
        throw plan_error("operator '" + n.uid + "' would run with parallelism " +
                         std::to_string(plan.parallelism[n.id]) + ", above max parallelism " +
                         std::to_string(opts.max_parallelism));
    for (const auto& n : g.nodes())
      if (n.ordered_input && n.input)
        check_ordered(n, *n.input);
    form_chains();
    make_chain_tasks();
    for (std::size_t c = 0; c < chains.size(); ++c) {
      const auto& head = g.node(chains[c].front());
      if (head.input)
        connect(static_cast<std::size_t>(chain_of[*head.input]), c, 0);
      if (head.input2)
        connect(static_cast<std::size_t>(chain_of[*head.input2]), c, 1);
    }
    return std::move(plan);
  }
};

}  // namespace

task_context physical_plan::context_of(uint32_t node, uint32_t subtask) const {
  const auto& n = graph->node(node);
  task_context ctx;
  ctx.uid = n.uid;
  ctx.subtask = subtask;
  ctx.parallelism = parallelism.at(node);
  ctx.max_parallelism = options.max_parallelism;
  ctx.batch_size = options.batch_size;
  ctx.state_backend = options.state_backend;
  if (!options.state_dir.empty())
    ctx.state_dir = options.state_dir + "/" + n.uid + "-" + std::to_string(subtask);
  ctx.dead_letter_dir = options.dead_letter_dir;
  ctx.checkpointing = !options.checkpoint_dir.empty();
  ctx.checkpoint_dir = options.checkpoint_dir;
  ctx.checkpoints_retained = options.checkpoints_retained;
  ctx.restoring = restore != nullptr;
  return ctx;
}

std::string physical_plan::fingerprint() const {
  std::string f;
  for (const auto& n : graph->nodes())
    f += n.uid + (n.kind == node_kind::source ? "(source)" : n.kind == node_kind::sink ? "(sink)" : "") + ";";
  return f;
}

physical_plan build_plan(const job_graph& g, const plan_options& opts) {
  if (opts.parallelism == 0 || opts.max_parallelism == 0 || opts.batch_size == 0 ||
      opts.credits == 0)
    throw plan_error("parallelism, max parallelism, batch size and credits must be positive");
  return builder{g, opts, {}, {}, {}, {}}.run();
}

}  // namespace sluice::actors
