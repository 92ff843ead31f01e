// Typed operator implementations behind the fluent API: stateless map / flat_map / filter and the
// keyed reduce, aggregate (with Structured-Streaming output modes) and process. Each is an
// operator_logic; one instance per subtask.
#pragma once

#include <chrono>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "connectors/dead_letters.hpp"
#include "connectors/format.hpp"
#include "sluice/operator.hpp"
#include "sluice/output_mode.hpp"
#include "state/keyed_state.hpp"

namespace sluice {

/// Output collector handed to flat_map and process functions.
template <class T>
class collector {
 public:
  explicit collector(std::vector<T>& out) : out_(&out) {}
  void push(T x) { out_->push_back(std::move(x)); }
  template <class... Args>
  void emplace(Args&&... args) { out_->emplace_back(std::forward<Args>(args)...); }

 private:
  std::vector<T>* out_;
};

template <class In, class Out, class F>
class map_op final : public operator_logic {
 public:
  explicit map_op(F f) : f_(std::move(f)) {}
  void process(batch_base& in, emitter& out) override {
    auto& xs = as_batch<In>(in).items;
    auto b = std::make_shared<batch<Out>>();
    b->items.reserve(xs.size());
    for (auto& x : xs)
      b->items.push_back(f_(std::as_const(x)));
    out.emit(std::move(b));
  }

 private:
  F f_;
};

template <class In, class Out, class F>
class flat_map_op final : public operator_logic {
 public:
  explicit flat_map_op(F f) : f_(std::move(f)) {}
  void open(const task_context& ctx) override { limit_ = ctx.batch_size; }
  void process(batch_base& in, emitter& out) override {
    auto b = std::make_shared<batch<Out>>();
    b->items.reserve(limit_);
    collector<Out> c{b->items};
    for (const auto& x : as_batch<In>(in).items) {
      f_(x, c);
      if (b->items.size() >= limit_) {
        out.emit(std::move(b));
        b = std::make_shared<batch<Out>>();
        b->items.reserve(limit_);
        c = collector<Out>{b->items};
      }
    }
    out.emit(std::move(b));
  }

 private:
  F f_;
  uint32_t limit_ = 1024;
};

template <class In1, class In2, class Out, class F1, class F2>
class co_map_op final : public operator_logic {
 public:
  co_map_op(F1 f1, F2 f2) : f1_(std::move(f1)), f2_(std::move(f2)) {}
  void process(batch_base& in, emitter& out) override { apply<In1>(in, f1_, out); }
  void process2(batch_base& in, emitter& out) override { apply<In2>(in, f2_, out); }

 private:
  template <class In, class F>
  static void apply(batch_base& in, F& f, emitter& out) {
    auto b = std::make_shared<batch<Out>>();
    for (const auto& x : as_batch<In>(in).items)
      b->items.push_back(f(x));
    out.emit(std::move(b));
  }
  F1 f1_;
  F2 f2_;
};

template <class T, class F>
class filter_op final : public operator_logic {
 public:
  explicit filter_op(F f) : f_(std::move(f)) {}
  void process(batch_base& in, emitter& out) override {
    auto& xs = as_batch<T>(in).items;
    std::size_t w = 0;
    for (std::size_t r = 0; r < xs.size(); ++r)
      if (f_(std::as_const(xs[r]))) {
        if (w != r)
          xs[w] = std::move(xs[r]);
        ++w;
      }
    xs.resize(w);
    // The input batch is ours (handed over by the runtime), so it is reused as the output.
    auto b = std::make_shared<batch<T>>(std::move(xs));
    out.emit(std::move(b));
  }

 private:
  F f_;
};

/// Result of a parse function: a value, or the reason the input is malformed.
template <class U>
struct parsed {
  std::optional<U> value;
  std::string error;
};

/// The parse succeeded.
template <class U>
parsed<U> accept(U u) {
  return parsed<U>{std::move(u), {}};
}

/// The input is malformed: it becomes a dead letter with this reason.
struct rejected {
  std::string reason;
  template <class U>
  operator parsed<U>() const {  // NOLINT: implicit on purpose, `return sluice::reject(...)`
    return parsed<U>{std::nullopt, reason};
  }
};
inline rejected reject(std::string reason) { return rejected{std::move(reason)}; }

/// map that may reject records: f(const T&) -> parsed<U>. Rejected records go to the dead-letter
/// files with their reason and are counted; the job never stops for them.
template <class In, class Out, class F>
class parse_op final : public operator_logic {
 public:
  explicit parse_op(F f) : f_(std::move(f)) {}
  void open(const task_context& ctx) override {
    dead_.emplace(ctx);
    checkpointing_ = ctx.checkpointing;
  }
  void process(batch_base& in, emitter& out) override {
    auto b = std::make_shared<batch<Out>>();
    auto& xs = as_batch<In>(in).items;
    b->items.reserve(xs.size());
    for (const auto& x : xs) {
      parsed<Out> r = f_(x);
      if (r.value) {
        b->items.push_back(std::move(*r.value));
      } else {
        line_.clear();
        format_field(line_, x);
        dead_->write(r.error, line_);
      }
    }
    out.emit(std::move(b));
  }
  std::chrono::milliseconds timer_period() const override {
    return std::chrono::milliseconds{checkpointing_ ? 0 : 1000};
  }
  void on_timer(emitter&) override { dead_->flush(); }
  void finish(emitter&) override {
    if (!checkpointing_)
      dead_->flush();
  }
  void snapshot_state(operator_snapshot& s) override {
    if (!checkpointing_)
      return;
    dead_->flush();  // stage what was written for this checkpoint
    auto st = dead_->precommit(s.checkpoint_id);
    if (!st.empty())
      s.set_operator_state(st);
  }
  void checkpoint_complete(uint64_t id, bool final) override {
    dead_->commit_upto(final ? UINT64_MAX : id);
  }
  void restore_state(const operator_restore& r) override {
    dead_->restore(r.operator_state ? *r.operator_state : std::string{});
  }
  uint64_t dead_letters() const override { return dead_ ? dead_->count() : 0; }

 private:
  F f_;
  std::optional<dead_letter_writer> dead_;
  std::string line_;
  bool checkpointing_ = false;
};

/// Flink-style rolling reduce: every input record emits the key's new reduced value.
template <class K, class T, class KeyOf, class F>
class reduce_op final : public operator_logic {
 public:
  reduce_op(KeyOf key_of, F f) : key_of_(std::move(key_of)), f_(std::move(f)) {}
  void open(const task_context& ctx) override {
    store_.emplace(ctx);
    table_ = &store_->template table<K, T>("reduce");
  }
  void process(batch_base& in, emitter& out) override {
    auto b = std::make_shared<batch<T>>();
    auto& xs = as_batch<T>(in).items;
    b->items.reserve(xs.size());
    for (auto& x : xs) {
      const K k = key_of_(std::as_const(x));
      auto cur = table_->get(k);
      T next = cur ? f_(std::as_const(*cur), std::as_const(x)) : x;
      table_->put(k, next);
      b->items.push_back(std::move(next));
    }
    out.emit(std::move(b));
  }
  void snapshot_state(operator_snapshot& s) override { store_->snapshot(s); }
  void restore_state(const operator_restore& r) override { store_->restore(r); }

 private:
  KeyOf key_of_;
  F f_;
  std::optional<state::keyed_state_store> store_;
  state::keyed_table<K, T>* table_ = nullptr;
};

/// Options of a grouped aggregation (Spark's groupBy().agg() + writeStream).
struct aggregate_options {
  output_mode mode = output_mode::complete;  ///< default: complete, as Spark's console examples
  std::chrono::milliseconds trigger{0};      ///< processing-time trigger; 0: emit at end of input only
};

/// Grouped aggregation with an output mode and a processing-time trigger. Emits (key, acc) pairs;
/// after each trigger's rows it marks the end of the epoch so sinks can tell results apart. Its
/// table (value: accumulator and "changed since the last trigger") is keyed state, checkpointed.
template <class K, class T, class A, class KeyOf, class Fold>
class aggregate_op final : public operator_logic {
 public:
  using row = std::pair<K, A>;
  using entry = std::pair<A, bool>;  // accumulator, dirty

  aggregate_op(KeyOf key_of, A init, Fold fold, aggregate_options opts)
      : key_of_(std::move(key_of)), init_(std::move(init)), fold_(std::move(fold)), opts_(opts) {}

  void open(const task_context& ctx) override {
    limit_ = ctx.batch_size;
    store_.emplace(ctx);
    table_ = &store_->template table<K, entry>("aggregate");
    mem_ = dynamic_cast<state::memory_table<K, entry>*>(table_);
  }

  void process(batch_base& in, emitter&) override {
    if (mem_) {  // hot path: the hash map itself
      auto& map = mem_->map();
      for (const auto& x : as_batch<T>(in).items) {
        auto [it, fresh] = map.try_emplace(key_of_(x), entry{init_, false});
        fold_(it->second.first, x);
        if (track_dirty() && !it->second.second) {
          it->second.second = true;
          dirty_.push_back(it->first);
        }
      }
      return;
    }
    for (const auto& x : as_batch<T>(in).items) {
      const K k = key_of_(x);
      table_->update(k, entry{init_, false}, [&](entry& e) {
        fold_(e.first, x);
        if (track_dirty() && !e.second) {
          e.second = true;
          dirty_.push_back(k);
        }
      });
    }
  }

  std::chrono::milliseconds timer_period() const override { return opts_.trigger; }
  void on_timer(emitter& out) override { fire(out, false); }
  void finish(emitter& out) override { fire(out, true); }

  void snapshot_state(operator_snapshot& s) override { store_->snapshot(s); }
  void restore_state(const operator_restore& r) override {
    store_->restore(r);
    dirty_.clear();
    table_->for_each([&](const K& k, const entry& e) {
      if (e.second)
        dirty_.push_back(k);
    });
  }

 private:
  /// Only update mode needs to know which rows changed since the last trigger.
  bool track_dirty() const { return opts_.mode == output_mode::update; }

  void fire(emitter& out, bool final_trigger) {
    {
      batch_writer<row> w{out, limit_};
      if (opts_.mode == output_mode::complete ||
          (opts_.mode == output_mode::append && final_trigger)) {
        table_->for_each([&](const K& k, const entry& e) { w.push(row{k, e.first}); });
      } else if (opts_.mode == output_mode::update) {
        for (const auto& k : dirty_)
          if (auto e = table_->get(k))
            w.push(row{k, e->first});
      }
    }
    for (const auto& k : dirty_) {
      if (mem_)
        mem_->map().find(k)->second.second = false;
      else
        table_->update(k, entry{init_, false}, [](entry& e) { e.second = false; });
    }
    dirty_.clear();
    // Every trigger ends an epoch, even an empty one, so epoch numbers agree across subtasks.
    out.end_epoch(++epoch_);
  }

  KeyOf key_of_;
  A init_;
  Fold fold_;
  aggregate_options opts_;
  uint32_t limit_ = 1024;
  std::optional<state::keyed_state_store> store_;
  state::keyed_table<K, entry>* table_ = nullptr;
  state::memory_table<K, entry>* mem_ = nullptr;
  std::vector<K> dirty_;
  uint64_t epoch_ = 0;
};

/// What a keyed process function sees: the current key, its keyed state, an output.
template <class K, class Out>
class keyed_context {
 public:
  keyed_context(state::keyed_store<K>& store, std::vector<Out>& out) : store_(store), out_(out) {}
  const K& key() const { return *key_; }
  void emit(Out x) { out_.push_back(std::move(x)); }
  template <class V>
  state::value_state<K, V>& value_state(const std::string& name) { return store_.template value<V>(name); }
  template <class V>
  state::list_state<K, V>& list_state(const std::string& name) { return store_.template list<V>(name); }
  template <class MK, class MV>
  state::map_state<K, MK, MV>& map_state(const std::string& name) {
    return store_.template map<MK, MV>(name);
  }

  void set_key(const K& k) {
    key_ = &k;
    store_.set_current_key(k);
  }

 private:
  state::keyed_store<K>& store_;
  std::vector<Out>& out_;
  const K* key_ = nullptr;
};

/// A user function with keyed state: f(const T&, keyed_context<K, Out>&).
template <class K, class T, class Out, class KeyOf, class F>
class process_op final : public operator_logic {
 public:
  process_op(KeyOf key_of, F f) : key_of_(std::move(key_of)), f_(std::move(f)) {}
  void open(const task_context& ctx) override { store_.emplace(ctx); }
  void snapshot_state(operator_snapshot& s) override { store_->store().snapshot(s); }
  void restore_state(const operator_restore& r) override { store_->store().restore(r); }
  void process(batch_base& in, emitter& out) override {
    auto b = std::make_shared<batch<Out>>();
    keyed_context<K, Out> ctx{*store_, b->items};
    for (const auto& x : as_batch<T>(in).items) {
      const K k = key_of_(x);
      ctx.set_key(k);
      f_(x, ctx);
    }
    store_->clear_current_key();
    out.emit(std::move(b));
  }

 private:
  KeyOf key_of_;
  F f_;
  std::optional<state::keyed_store<K>> store_;
};

}  // namespace sluice
