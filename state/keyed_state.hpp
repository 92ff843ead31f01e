// Keyed state handles for process functions: value, list and map state scoped to the current key.
// The in-memory store keeps one hash table per state name. One store per subtask, used by its
// actor only (not thread-safe). Snapshots and the RocksDB backend come with checkpoints.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "sluice/keys.hpp"

namespace sluice::state {

/// std::hash replacement built on sluice's stable key hash.
template <class K>
struct key_hasher {
  std::size_t operator()(const K& k) const { return static_cast<std::size_t>(key_hash(k)); }
};

class state_base {
 public:
  virtual ~state_base() = default;
  /// Number of keys holding a value.
  virtual std::size_t size() const = 0;
};

/// Per-key table of V, addressed through the store's current key.
template <class K, class V>
class keyed_table : public state_base {
 public:
  explicit keyed_table(const K* const* current) : current_(current) {}
  std::size_t size() const override { return values_.size(); }

 protected:
  const K& key() const {
    if (!*current_)
      throw std::logic_error("keyed state used outside of a keyed context");
    return **current_;
  }
  std::unordered_map<K, V, key_hasher<K>> values_;

 private:
  const K* const* current_;
};

/// A single value per key (Flink's ValueState).
template <class K, class V>
class value_state : public keyed_table<K, V> {
 public:
  using keyed_table<K, V>::keyed_table;
  std::optional<V> value() const {
    auto i = this->values_.find(this->key());
    return i == this->values_.end() ? std::nullopt : std::optional<V>{i->second};
  }
  V value_or(V fallback) const { return value().value_or(std::move(fallback)); }
  void update(V v) { this->values_[this->key()] = std::move(v); }
  void clear() { this->values_.erase(this->key()); }
};

/// A list per key (Flink's ListState).
template <class K, class V>
class list_state : public keyed_table<K, std::vector<V>> {
 public:
  using keyed_table<K, std::vector<V>>::keyed_table;
  const std::vector<V>& get() const {
    static const std::vector<V> empty;
    auto i = this->values_.find(this->key());
    return i == this->values_.end() ? empty : i->second;
  }
  void add(V v) { this->values_[this->key()].push_back(std::move(v)); }
  void clear() { this->values_.erase(this->key()); }
};

/// A map per key (Flink's MapState).
template <class K, class MK, class MV>
class map_state : public keyed_table<K, std::map<MK, MV>> {
 public:
  using keyed_table<K, std::map<MK, MV>>::keyed_table;
  std::optional<MV> get(const MK& mk) const {
    auto i = this->values_.find(this->key());
    if (i == this->values_.end()) return std::nullopt;
    auto j = i->second.find(mk);
    return j == i->second.end() ? std::nullopt : std::optional<MV>{j->second};
  }
  void put(const MK& mk, MV v) { this->values_[this->key()][mk] = std::move(v); }
  void remove(const MK& mk) {
    auto i = this->values_.find(this->key());
    if (i == this->values_.end()) return;
    i->second.erase(mk);
    if (i->second.empty()) this->values_.erase(i);
  }
  void clear() { this->values_.erase(this->key()); }
};

/// The named keyed states of one subtask, all scoped to the current key.
template <class K>
class keyed_store {
 public:
  void set_current_key(const K& k) { current_ = &k; }
  void clear_current_key() { current_ = nullptr; }

  template <class V>
  value_state<K, V>& value(const std::string& name) { return get<value_state<K, V>>(name); }
  template <class V>
  list_state<K, V>& list(const std::string& name) { return get<list_state<K, V>>(name); }
  template <class MK, class MV>
  map_state<K, MK, MV>& map(const std::string& name) { return get<map_state<K, MK, MV>>(name); }

 private:
  template <class S>
  S& get(const std::string& name) {
    auto& slot = states_[name];
    if (!slot)
      slot = std::make_unique<S>(&current_);
    auto* s = dynamic_cast<S*>(slot.get());
    if (!s)
      throw std::logic_error("state '" + name + "' was declared with another type");
    return *s;
  }

  const K* current_ = nullptr;
  std::map<std::string, std::unique_ptr<state_base>> states_;
};

}  // namespace sluice::state
