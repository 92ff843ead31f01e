// Keyed state handles for process functions: value, list and map state scoped to the current key
// (Flink's ValueState, ListState, MapState). Each handle reads and writes one keyed table of the
// operator subtask's keyed_state_store, so it lives on the job's backend (memory or RocksDB) and
// is part of every checkpoint. One store per subtask, used by its actor only (not thread-safe).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "state/store.hpp"

namespace sluice::state {

class handle_base {
 public:
  virtual ~handle_base() = default;
};

/// Common part of the handles: the table and the current key.
template <class K, class V>
class keyed_handle : public handle_base {
 public:
  keyed_handle(keyed_table<K, V>& t, const K* const* current) : table_(t), current_(current) {}
  /// Number of keys holding a value.
  std::size_t size() const { return table_.size(); }

 protected:
  const K& key() const {
    if (!*current_)
      throw std::logic_error("keyed state used outside of a keyed context");
    return **current_;
  }
  keyed_table<K, V>& table_;

 private:
  const K* const* current_;
};

template <class K, class V>
class value_state : public keyed_handle<K, V> {
 public:
  using keyed_handle<K, V>::keyed_handle;
  std::optional<V> value() const { return this->table_.get(this->key()); }
  V value_or(V fallback) const { return value().value_or(std::move(fallback)); }
  void update(const V& v) { this->table_.put(this->key(), v); }
  void clear() { this->table_.erase(this->key()); }
};

template <class K, class V>
class list_state : public keyed_handle<K, std::vector<V>> {
 public:
  using keyed_handle<K, std::vector<V>>::keyed_handle;
  std::vector<V> get() const { return this->table_.get(this->key()).value_or(std::vector<V>{}); }
  void add(const V& v) {
    this->table_.update(this->key(), {}, [&](std::vector<V>& xs) { xs.push_back(v); });
  }
  void clear() { this->table_.erase(this->key()); }
};

template <class K, class MK, class MV>
class map_state : public keyed_handle<K, std::map<MK, MV>> {
 public:
  using keyed_handle<K, std::map<MK, MV>>::keyed_handle;
  std::optional<MV> get(const MK& mk) const {
    auto m = this->table_.get(this->key());
    if (!m)
      return std::nullopt;
    auto j = m->find(mk);
    return j == m->end() ? std::nullopt : std::optional<MV>{j->second};
  }
  void put(const MK& mk, const MV& v) {
    this->table_.update(this->key(), {}, [&](std::map<MK, MV>& m) { m.insert_or_assign(mk, v); });
  }
  void remove(const MK& mk) {
    auto m = this->table_.get(this->key());
    if (!m)
      return;
    m->erase(mk);
    if (m->empty())
      this->table_.erase(this->key());
    else
      this->table_.put(this->key(), *m);
  }
  void clear() { this->table_.erase(this->key()); }
};

/// The named keyed states of one subtask, all scoped to the current key.
template <class K>
class keyed_store {
 public:
  /// In memory, for one subtask owning every key group.
  keyed_store() : keyed_store(task_context{}) {}
  explicit keyed_store(const task_context& ctx) : store_(ctx) {}

  void set_current_key(const K& k) { current_ = &k; }
  void clear_current_key() { current_ = nullptr; }

  template <class V>
  value_state<K, V>& value(const std::string& name) { return handle<value_state<K, V>, V>(name); }
  template <class V>
  list_state<K, V>& list(const std::string& name) {
    return handle<list_state<K, V>, std::vector<V>>(name);
  }
  template <class MK, class MV>
  map_state<K, MK, MV>& map(const std::string& name) {
    return handle<map_state<K, MK, MV>, std::map<MK, MV>>(name);
  }

  keyed_state_store& store() { return store_; }

 private:
  template <class H, class V>
  H& handle(const std::string& name) {
    auto& slot = handles_[name];
    if (!slot)
      slot = std::make_shared<H>(store_.template table<K, V>(name), &current_);
    auto h = std::dynamic_pointer_cast<H>(slot);
    if (!h)
      throw std::logic_error("state '" + name + "' was declared with another type");
    return *h;
  }

  keyed_state_store store_;
  const K* current_ = nullptr;
  std::map<std::string, std::shared_ptr<handle_base>> handles_;
};

}  // namespace sluice::state
