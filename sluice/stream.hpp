// The typed, fluent job API, in the spirit of Flink's DataStream and Spark's DStream:
//   env.read_text(path).flat_map<std::string>(split).key_by(identity).count(opts).to_files(dir)
// A stream<T> is a handle to a node of the logical graph producing records of type T; the methods
// add nodes and return new handles. Records that cross actors must be serializable with CAF's
// inspect (built-in types, std containers, or a type with an `inspect` overload).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "connectors/collect_sink.hpp"
#include "connectors/console_sink.hpp"
#include "connectors/file_sink.hpp"
#include "connectors/generator_source.hpp"
#include "sluice/codec.hpp"
#include "sluice/environment.hpp"
#include "sluice/operators.hpp"

namespace sluice {

template <class K, class T, class KeyOf>
class keyed_stream;

template <class T>
class stream {
 public:
  using value_type = T;

  stream(environment& env, uint32_t node) : env_(&env), node_(node) {}

  /// One output record per input record.
  template <class F>
  auto map(F f, const std::string& uid = {}) const {
    using U = std::decay_t<std::invoke_result_t<F&, const T&>>;
    return add<U>("map", uid, [f](const task_context&) -> operator_ptr {
      return std::make_unique<map_op<T, U, F>>(f);
    });
  }

  /// Zero or more output records per input: f(const T&, collector<U>&).
  template <class U, class F>
  stream<U> flat_map(F f, const std::string& uid = {}) const {
    return add<U>("flat_map", uid, [f](const task_context&) -> operator_ptr {
      return std::make_unique<flat_map_op<T, U, F>>(f);
    });
  }

  /// Parses records that may be malformed: f(const T&) returns sluice::accept(u) or
  /// sluice::reject("reason"); rejected records become dead letters (see --dead-letter-dir).
  template <class U, class F>
  stream<U> parse(F f, const std::string& uid = {}) const {
    return add<U>("parse", uid, [f](const task_context&) -> operator_ptr {
      return std::make_unique<parse_op<T, U, F>>(f);
    });
  }

  /// Keeps the records for which f returns true.
  template <class F>
  stream<T> filter(F f, const std::string& uid = {}) const {
    return add<T>("filter", uid, [f](const task_context&) -> operator_ptr {
      return std::make_unique<filter_op<T, F>>(f);
    });
  }

  /// Partitions by key: records with equal keys reach the same subtask (by key group).
  template <class KeyOf>
  auto key_by(KeyOf key_of) const {
    using K = std::decay_t<std::invoke_result_t<KeyOf&, const T&>>;
    return keyed_stream<K, T, KeyOf>(*env_, node_, std::move(key_of));
  }

  /// Two inputs, one operator (Flink's connect + CoMap): records of this stream go through f1,
  /// records of `other` through f2; both produce U. The two inputs interleave in arrival order.
  template <class U, class T2, class F1, class F2>
  stream<U> co_map(const stream<T2>& other, F1 f1, F2 f2, const std::string& uid = {}) const {
    return add_two_input<U>(other, "co_map", uid, [f1, f2](const task_context&) -> operator_ptr {
      return std::make_unique<co_map_op<T, T2, U, F1, F2>>(f1, f2);
    });
  }

  /// Adds a node with this stream as first input and `other` as second (used by co_map and the
  /// ML model API).
  template <class U, class T2>
  stream<U> add_two_input(const stream<T2>& other, const std::string& base, const std::string& uid,
                          std::function<operator_ptr(const task_context&)> make) const {
    graph_node n;
    n.uid = uid;
    n.input = node_;
    n.input_partitioning = up_partitioning_ == partitioning::forward ? partitioning::rebalance
                                                                     : up_partitioning_;
    n.input2 = other.node_id();
    n.input2_partitioning = partitioning::rebalance;
    n.make_operator = std::move(make);
    return stream<U>(*env_, env_->template add_node<U>(std::move(n), base));
  }

  /// Spreads batches round-robin over the next operator's subtasks.
  stream<T> rebalance() const { return with_partitioning(partitioning::rebalance); }
  /// Sends every record to every subtask of the next operator.
  stream<T> broadcast() const { return with_partitioning(partitioning::broadcast); }

  /// Names the operator that produced this stream (its stable uid).
  const stream& uid(const std::string& name) const {
    env_->graph().set_uid(node_, name);
    return *this;
  }
  /// Sets the parallelism of the operator that produced this stream.
  const stream& parallelism(uint32_t p) const {
    env_->graph().node(node_).parallelism = p;
    return *this;
  }

  /// Lines on stdout (parallelism 1). `fmt(std::string&, const T&)` appends a record's line.
  template <class Formatter = default_formatter>
  stream<T> to_console(Formatter fmt = {}) const {
    auto mode = output();
    auto s = sink("console", [mode, fmt](const task_context&) -> operator_ptr {
      return std::make_unique<console_sink<T, Formatter>>(mode, fmt);
    });
    env_->graph().node(s.node_).prefers_single = true;
    return s;
  }
  /// Part files in `dir` (see connectors/file_sink.hpp).
  template <class Formatter = default_formatter>
  stream<T> to_files(file_sink_options opts, Formatter fmt = {}) const {
    auto mode = output();
    return sink("file_sink", [opts, mode, fmt](const task_context&) -> operator_ptr {
      return std::make_unique<file_sink<T, Formatter>>(opts, mode, fmt);
    });
  }
  stream<T> to_files(const std::string& dir) const { return to_files(file_sink_options{dir}); }
  /// Into memory, for tests (single process only).
  stream<T> collect(std::shared_ptr<collected<T>> into) const {
    return sink("collect", [into](const task_context&) -> operator_ptr {
      return std::make_unique<collect_sink<T>>(into);
    });
  }
  /// A custom sink: an operator_logic that writes its input and emits nothing.
  stream<T> to(std::function<operator_ptr(const task_context&)> make,
               const std::string& name = "sink") const {
    return sink(name, std::move(make));
  }

  /// Output mode of the aggregation this stream comes from, if any.
  std::optional<output_mode> output() const { return env_->graph().node(node_).mode; }
  uint32_t node_id() const { return node_; }
  environment& env() const { return *env_; }

 private:
  template <class U>
  stream<U> add(const std::string& base, const std::string& uid,
                std::function<operator_ptr(const task_context&)> make) const {
    graph_node n;
    n.uid = uid;
    n.input = node_;
    n.make_operator = std::move(make);
    n.input_partitioning = up_partitioning_;
    return stream<U>(*env_, env_->template add_node<U>(std::move(n), base));
  }

  stream<T> sink(const std::string& base, std::function<operator_ptr(const task_context&)> make) const {
    graph_node n;
    n.kind = node_kind::sink;
    n.input = node_;
    n.input_partitioning = up_partitioning_;
    n.make_operator = std::move(make);
    return stream<T>(*env_, env_->template add_node<T>(std::move(n), base));
  }

  stream<T> with_partitioning(partitioning p) const {
    stream<T> s = *this;
    s.up_partitioning_ = p;
    return s;
  }

  template <class K, class U, class KeyOf>
  friend class keyed_stream;

  environment* env_;
  uint32_t node_;
  partitioning up_partitioning_ = partitioning::forward;
};

/// A stream partitioned by key; the keyed operations below run per key.
template <class K, class T, class KeyOf>
class keyed_stream {
 public:
  keyed_stream(environment& env, uint32_t node, KeyOf key_of)
      : env_(&env), node_(node), key_of_(std::move(key_of)) {}

  /// Rolling reduce (Flink semantics): each record emits its key's new reduced value.
  template <class F>
  stream<T> reduce(F f, const std::string& uid = {}) const {
    auto key_of = key_of_;
    return add<T>("reduce", uid, [key_of, f](const task_context&) -> operator_ptr {
      return std::make_unique<reduce_op<K, T, KeyOf, F>>(key_of, f);
    }, std::nullopt);
  }

  /// Grouped aggregation: fold(A& acc, const T& x) per key, results as (key, acc) rows emitted
  /// per the output mode and trigger of `opts` (Spark's groupBy().agg() + writeStream).
  template <class A, class Fold>
  stream<std::pair<K, A>> aggregate(A init, Fold fold, aggregate_options opts = {},
                                    const std::string& uid = {}) const {
    auto key_of = key_of_;
    return add<std::pair<K, A>>("aggregate", uid,
        [key_of, init, fold, opts](const task_context&) -> operator_ptr {
          return std::make_unique<aggregate_op<K, T, A, KeyOf, Fold>>(key_of, init, fold, opts);
        },
        opts.mode);
  }

  /// Spark's groupBy(key).count().
  stream<std::pair<K, int64_t>> count(aggregate_options opts = {}, const std::string& uid = {}) const {
    return aggregate<int64_t>(int64_t{0}, [](int64_t& acc, const T&) { ++acc; }, opts,
                              uid.empty() ? std::string{} : uid);
  }

  /// A user function with keyed state: f(const T&, keyed_context<K, Out>&).
  template <class Out, class F>
  stream<Out> process(F f, const std::string& uid = {}) const {
    auto key_of = key_of_;
    return add<Out>("process", uid, [key_of, f](const task_context&) -> operator_ptr {
      return std::make_unique<process_op<K, T, Out, KeyOf, F>>(key_of, f);
    }, std::nullopt);
  }

 private:
  template <class U>
  stream<U> add(const std::string& base, const std::string& uid,
                std::function<operator_ptr(const task_context&)> make,
                std::optional<output_mode> mode) const {
    register_record_type<K>();
    graph_node n;
    n.uid = uid;
    n.input = node_;
    n.input_partitioning = partitioning::hash;
    n.input_router = make_hash_router_factory<T>(key_of_);
    n.make_operator = std::move(make);
    n.mode = mode;
    return stream<U>(*env_, env_->template add_node<U>(std::move(n), base));
  }

  environment* env_;
  uint32_t node_;
  KeyOf key_of_;
};

// -- environment templates ---------------------------------------------------------------------

template <class T>
uint32_t environment::add_node(graph_node n, const std::string& base_name) {
  register_record_type<T>();
  n.output_router = [](partitioning p) { return make_router_factory<T>(p); };
  return graph_.add(std::move(n), base_name).id;
}

template <class T>
stream<T> environment::from_source(std::function<source_ptr(const task_context&)> make,
                                   const std::string& name) {
  graph_node n;
  n.kind = node_kind::source;
  n.make_source = std::move(make);
  return stream<T>(*this, add_node<T>(std::move(n), name));
}

template <class T, class F>
stream<T> environment::generate(uint64_t count, F f, double rate) {
  return from_source<T>(
      [count, f, rate](const task_context&) -> source_ptr {
        return std::make_unique<generator_source<T, F>>(count, f, rate);
      },
      "generator");
}

}  // namespace sluice
