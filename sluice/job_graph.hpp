// The logical dataflow graph a job builds through the typed API: one node per operator, each
// with a stable uid, a parallelism and factories for its per-subtask logic. Immutable once the
// job runs; the physical plan (actors/physical_plan.hpp) is derived from it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sluice/operator.hpp"
#include "sluice/output_mode.hpp"
#include "sluice/router.hpp"

namespace sluice {

enum class node_kind { source, op, sink };

struct graph_node {
  uint32_t id = 0;
  std::string uid;
  node_kind kind = node_kind::op;
  uint32_t parallelism = 0;  ///< 0 means the job's default parallelism
  std::optional<uint32_t> input;                ///< upstream node, none for sources
  partitioning input_partitioning = partitioning::forward;
  router_factory input_router;                  ///< hash edges: routes the upstream's output by key
  /// Second input of a two-input operator (operator_logic::process2), e.g. a model's
  /// prediction requests beside its training data. Two-input operators head their chain.
  std::optional<uint32_t> input2;
  partitioning input2_partitioning = partitioning::rebalance;
  router_factory input2_router;
  /// Router factory for this node's output type under a non-keyed partitioning.
  std::function<router_factory(partitioning)> output_router;
  std::function<source_ptr(const task_context&)> make_source;
  std::function<operator_ptr(const task_context&)> make_operator;
  /// Set on aggregations; sinks downstream use it (complete mode replaces results per trigger).
  std::optional<output_mode> mode;
  /// Sinks that must see a single ordered stream (console) ask for parallelism 1.
  bool prefers_single = false;
  /// The first input must arrive in one deterministic order (a model's training stream): the
  /// plan requires its producer to run with parallelism 1.
  bool ordered_input = false;
  /// Heads its own chain (its own actor) even behind a forward edge of equal parallelism, so that
  /// a heavy operator (a model) works on one core while its upstream (reading, parsing) works on
  /// another; chained, they would take turns on one.
  bool starts_chain = false;
};

/// The logical graph. Not thread-safe; built on one thread before execution.
class job_graph {
 public:
  /// Adds a node, giving it an id and, if its uid is empty, a stable uid "<base>-<id>".
  graph_node& add(graph_node n, const std::string& base_name);
  graph_node& node(uint32_t id) { return nodes_.at(id); }
  const graph_node& node(uint32_t id) const { return nodes_.at(id); }
  const std::vector<graph_node>& nodes() const { return nodes_; }
  /// Nodes reading from `id`.
  std::vector<uint32_t> consumers(uint32_t id) const;
  /// Renames a node; throws std::invalid_argument if another node has that uid.
  void set_uid(uint32_t id, const std::string& uid);

 private:
  std::vector<graph_node> nodes_;
};

}  // namespace sluice
